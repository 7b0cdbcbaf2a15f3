package dev.nyla.sync.reconcile;

import java.time.Duration;
import java.util.List;

/**
 * Hears what a {@link HealingSearch} finds and does. Called from search threads and from the repair
 * thread, so implementations must be thread-safe; an exception thrown here is logged and ignored.
 */
public interface HealListener {

    /** A search returned ids the source does not have; they were dropped from its result. */
    default void unknownHits(String tenant, List<String> ids) {
    }

    /** A repair of {@code tenant} will start after {@code delay}. */
    default void repairScheduled(String tenant, Duration delay) {
    }

    /** A repair of {@code tenant} was not scheduled, for {@code reason} (the hourly rate limit). */
    default void repairSkipped(String tenant, String reason) {
    }

    /** A repair ended; see its outcome. */
    default void repaired(SyncReport report) {
    }

    /** The existence probe failed, so the hits were returned unchecked. */
    default void probeFailed(String tenant, Exception error) {
    }
}
