package dev.nyla.sync.reconcile;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * What a sync of one tenant did.
 *
 * @param tenant    the tenant
 * @param outcome   in sync already, synced, or failed
 * @param before    the drift the sync started from; absent when the first check itself failed
 * @param after     the drift the verifying re-check found; absent when no repair ran
 * @param embedded  texts embedded
 * @param inserted  records written that the store did not hold
 * @param updated   records written over an older version
 * @param deleted   stale records deleted
 * @param notFound  stale records already gone when deleted (someone else removed them)
 * @param rounds    repair rounds run: 1, or more when the verifying check found new drift (a source edited
 *                  during the sync) and the reconciler repaired again
 * @param timings   where the time went
 * @param failure   why the sync failed, when it did
 */
public record SyncReport(String tenant, Outcome outcome, Optional<Drift> before, Optional<Drift> after,
                         long embedded, long inserted, long updated, long deleted, long notFound,
                         int rounds, Timings timings, Optional<Exception> failure) {

    /** How a sync of one tenant ended. */
    public enum Outcome {
        /** The check found no drift and the sync was not forced: nothing was written. */
        IN_SYNC,
        /** Repairs ran and the verifying check found the tenant in sync. */
        SYNCED,
        /** The sync stopped on an error or the verifying check still found drift; see {@link #failure()}. */
        FAILED
    }

    /**
     * Time spent in each phase of a sync.
     *
     * @param check  the first check
     * @param embed  embedding, summed over batches
     * @param write  upserts, summed over batches
     * @param delete deletes of stale records
     * @param verify the verifying checks
     * @param total  the whole sync, waiting for the tenant's lock included
     */
    public record Timings(Duration check, Duration embed, Duration write, Duration delete, Duration verify,
                          Duration total) {
        public Timings {
            Objects.requireNonNull(check, "check");
            Objects.requireNonNull(embed, "embed");
            Objects.requireNonNull(write, "write");
            Objects.requireNonNull(delete, "delete");
            Objects.requireNonNull(verify, "verify");
            Objects.requireNonNull(total, "total");
        }
    }

    public SyncReport {
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(before, "before");
        Objects.requireNonNull(after, "after");
        Objects.requireNonNull(timings, "timings");
        Objects.requireNonNull(failure, "failure");
        if (failure.isPresent() != (outcome == Outcome.FAILED)) {
            throw new IllegalArgumentException("a sync report has a failure exactly when its outcome is FAILED");
        }
    }

    /** Records written, inserted or updated. */
    public long written() {
        return inserted + updated;
    }
}
