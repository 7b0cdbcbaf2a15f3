package dev.nyla.sync.client;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What one sync run did.
 *
 * @param outcome          how the run ended
 * @param fromVersion      the version active before the run, 0 when none
 * @param toVersion        the version active after it (0 when none); equal to {@code fromVersion} unless installed
 * @param route            the route that installed, when one did
 * @param bytesDownloaded  payload bytes fetched in this run (resumed bytes fetched earlier not included)
 * @param fullPayloadBytes the size of the version's full payload that the installing (or last tried) route
 *                         belongs to: the smallest encoding of the records, or for a store-native route the
 *                         sum of the native payload's files; 0 when no version was offered. Compare with
 *                         {@code bytesDownloaded} to see what a delta saved
 * @param steps            what was tried, in order, including each fallback and why
 * @param elapsed          wall time of the run
 * @param failure          why the run failed, when it did (a typed {@link dev.nyla.sync.NylaSyncException} for
 *                         every check the client makes)
 */
public record SyncResult(Outcome outcome, long fromVersion, long toVersion, Optional<InstallRoute> route,
                         long bytesDownloaded, long fullPayloadBytes, List<String> steps, Duration elapsed,
                         Optional<IOException> failure) {

    /** How a run ended. */
    public enum Outcome {
        /** Nothing newer is offered (or the manifest was not modified). */
        UP_TO_DATE,
        /** A new version was installed and is active. */
        INSTALLED,
        /** Nothing could be installed, so a generation was built locally from the bundled corpus. */
        REBUILT_LOCALLY,
        /** The version is staged to a share of clients that does not include this one yet. */
        NOT_IN_ROLLOUT,
        /** The update condition or the approval callback said no. */
        DECLINED,
        /** The connection is metered; the update waits for an unmetered one. */
        DEFERRED_METERED,
        /** The run failed; the previous version keeps serving. */
        FAILED
    }

    public SyncResult {
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(route, "route");
        Objects.requireNonNull(elapsed, "elapsed");
        Objects.requireNonNull(failure, "failure");
        steps = List.copyOf(steps);
    }

    /** Whether the store now serves what the source offers (installed now, or already current). */
    public boolean isCurrent() {
        return outcome == Outcome.INSTALLED || outcome == Outcome.UP_TO_DATE;
    }
}
