package dev.nyla.sync.store;

import dev.nyla.sync.store.internal.ReadOnlyVectorStore;
import java.io.IOException;

/**
 * Opens {@link VectorStore}s for one location scheme. Store adapters register an implementation in
 * {@code META-INF/services/dev.nyla.sync.store.VectorStoreProvider}; {@link VectorStores#open(String)}
 * picks the provider by the scheme before the first colon of a location such as {@code lucene:/var/nyla},
 * {@code jdbc:postgresql://db/app} or {@code memory:}.
 */
public interface VectorStoreProvider {

    /** The scheme this provider serves, without the colon, e.g. {@code lucene}. */
    String scheme();

    /** A one-line description of the location syntax, shown when a location cannot be opened. */
    String locationSyntax();

    /**
     * Opens (creating when needed) the store at {@code location}, the whole location string including
     * the scheme.
     *
     * @throws StoreException naming the location and the problem when it cannot be opened
     */
    VectorStore open(String location) throws IOException;

    /**
     * Opens the existing store at {@code location} for reading only: searches, inventories, statistics and
     * verification, beside a writer in another process that holds the store (an application or a
     * {@code sync --watch}), and by a user who may only read its files. Writes are refused with a
     * {@link ReadOnlyStoreException}.
     *
     * <p>Adapters whose {@link #open} takes an exclusive lock, creates files or cleans up leftovers override
     * this to open without doing any of that. The default suits stores that need none of it (memory, a
     * database server): it opens the store as {@link #open} does and returns a
     * {@linkplain ReadOnlyVectorStore read-only view} of it.
     *
     * @throws StoreException naming the location and the problem when it cannot be opened
     */
    default VectorStore openReadOnly(String location) throws IOException {
        return ReadOnlyVectorStore.of(open(location));
    }
}
