package dev.nyla.sync.store.providers;

import dev.nyla.sync.store.VectorStore;
import dev.nyla.sync.store.VectorStoreProvider;
import dev.nyla.sync.store.internal.MemoryVectorStore;
import java.time.Clock;

/** Serves {@code memory:} locations: a new, empty {@link MemoryVectorStore} for every open. */
public final class MemoryVectorStoreProvider implements VectorStoreProvider {
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
