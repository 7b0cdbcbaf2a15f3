package dev.nyla.sync.reconcile;

import java.nio.file.Path;
import java.time.Duration;

/** The validated settings of one {@link Reconciler}, as its builder made them; see the builder for each. */
record ReconcileSettings(int embedBatchSize, int writeBatchSize, int deleteBatchSize, int concurrency, int idLimit,
                         int maxRounds, int spillThreshold, Duration lockTimeout, Path tempDirectory) {

    /** A new list that spills to {@code tempDirectory} past {@code spillThreshold} entries. */
    <T> Spill<T> spill(Spill.Codec<T> codec) {
        return new Spill<>(tempDirectory, spillThreshold, codec);
    }
}
