package dev.nyla.sync.store;

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
}
