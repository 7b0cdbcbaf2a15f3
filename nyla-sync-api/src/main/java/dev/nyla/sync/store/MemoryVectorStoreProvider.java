package dev.nyla.sync.store;

import java.time.Clock;

/** Serves {@code memory:} locations: a new, empty {@link MemoryVectorStore} for every open. */
public final class MemoryVectorStoreProvider implements VectorStoreProvider {
    /** The provider {@link java.util.ServiceLoader} finds; applications open stores with {@link VectorStores}. */
    public MemoryVectorStoreProvider() {
    }

    @Override
    public String scheme() {
        return "memory";
    }

    @Override
    public String locationSyntax() {
        return "memory:[name] (in this process only; nothing is kept)";
    }

    @Override
    public VectorStore open(String location) {
        return new MemoryVectorStore(location, Clock.systemUTC());
    }
}
