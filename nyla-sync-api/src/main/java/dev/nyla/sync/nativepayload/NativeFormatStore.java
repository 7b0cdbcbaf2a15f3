package dev.nyla.sync.nativepayload;

import dev.nyla.sync.store.VectorStore;

/**
 * A store with a payload format of its own (such as a prebuilt Lucene index): the sync client then installs
 * a manifest's store-native payload of that kind instead of rebuilding from portable records, and downloads
 * only the files the store does not hold yet. A store without one installs portable records only.
 *
 * <p>Not part of the exported API: the project's own adapters implement it, and the payload formats change
 * with them.
 */
public interface NativeFormatStore extends VectorStore {

    /** The installer of this store's payload format. */
    NativeInstaller nativeInstaller();
}
