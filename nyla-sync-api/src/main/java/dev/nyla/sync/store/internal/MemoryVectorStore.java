package dev.nyla.sync.store.internal;

import dev.nyla.sync.store.VectorStore;
import java.time.Clock;

/**
 * The reference {@link VectorStore}: everything in memory, exact (brute-force) search.
 *
 * <p>It defines the behaviour every adapter must match (the contract test suite runs against it first),
 * and serves tests, small data sets and the {@code memory:} location. Nothing survives the process; see
 * {@link FileVectorStore} for the same store kept on disk.
 *
 * <p>Each generation is an immutable snapshot; the active one is published through a volatile field, so
 * searches never lock and always see one whole generation. Mutations copy the tenants they touch
 * (copy-on-write), which is simple and safe but costs time proportional to the tenant's size.
 */
public final class MemoryVectorStore extends SnapshotVectorStore {

    /** A new, empty store. */
    public MemoryVectorStore() {
        this("memory:", Clock.systemUTC());
    }

    /** A new, empty store reporting {@code location} and stamping generations with {@code clock}. */
    public MemoryVectorStore(String location, Clock clock) {
        super(location, clock);
    }
}
