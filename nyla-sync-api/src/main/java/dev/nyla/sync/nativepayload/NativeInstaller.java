package dev.nyla.sync.nativepayload;

import dev.nyla.sync.UnsupportedFormatException;
import dev.nyla.sync.store.GenerationSpec;
import dev.nyla.sync.store.Payload;
import dev.nyla.sync.store.PayloadFile;
import dev.nyla.sync.store.VectorStore;
import java.io.IOException;
import java.util.List;

/**
 * Installs payloads in a store's own format (a <em>store-native</em> payload, such as a prebuilt Lucene
 * index) as new generations, without rebuilding anything on the client: the fast path of an install.
 * A store offers one through {@link NativeFormatStore#nativeInstaller()}.
 *
 * <p>The split follows Lucene's replicator: the manifest's {@link Payload} says what to copy, the sync
 * client copies (and verifies every file's size and SHA-256 while downloading), and the store installs.
 * Files the store already holds from an earlier version are not downloaded again: that is the delta of a
 * store-native payload.
 */
public interface NativeInstaller {

    /** The payload kind this store installs, e.g. {@code lucene}. */
    String kind();

    /**
     * Checks, before anything is downloaded, that this store can read the payload: the format versions its
     * attributes name.
     *
     * @param where what the payload came from, for messages (e.g. the manifest's address)
     * @throws UnsupportedFormatException naming the attribute, what this store reads and what the payload needs
     */
    void checkReadable(Payload payload, String where) throws UnsupportedFormatException;

    /**
     * The files of {@code payload} this store does not hold yet: the ones an install {@linkplain #begin begun}
     * with {@code reuseLocalFiles} would ask for. Without side effects: the sync client asks before an
     * install, to choose its route and to say how much it will download (for the update offer, which the
     * app may decline).
     */
    List<PayloadFile> missingFiles(Payload payload) throws IOException;

    /**
     * Starts installing {@code payload} as a new generation. Nothing is visible to readers until the install
     * is committed and the generation {@linkplain VectorStore#activate(long) activated}.
     *
     * @param reuseLocalFiles whether files the store already holds may stand in for downloads; {@code false}
     *                        asks for every file to be downloaded (the fallback when a reused file was bad),
     *                        and the downloaded files then take the place of the store's copies of the same
     *                        names for later deltas, so that a damaged copy does not fail the next delta again
     */
    NativeInstall begin(GenerationSpec spec, Payload payload, boolean reuseLocalFiles) throws IOException;
}
