package dev.nyla.sync.client;

import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.store.Generation;
import java.io.IOException;

/**
 * Receives the sync client's events, one method per stage, in the order they happen. Every method does
 * nothing by default; override the ones you need. Methods run on the thread doing the sync and should return
 * quickly; an exception thrown by a listener is logged and otherwise ignored, so it cannot break an install.
 */
public interface SyncListener {

    /** A listener that ignores every event. */
    SyncListener NONE = new SyncListener() {
    };

    /**
     * A listener that hands every event to each of {@code listeners}, in the order given: a builder takes one
     * listener, and this is how several hear the same client (a progress display and metrics, say). One that
     * throws is logged and ignored, and the ones after it still hear the event.
     */
    static SyncListener all(SyncListener... listeners) {
        return new SyncListeners(listeners.clone());
    }

    /** The state machine moved from one state to the next. */
    default void stateChanged(SyncState from, SyncState to) {
    }

    /** A check started; {@code trustedVersion} is the version installed (0 when none). */
    default void checkStarted(long trustedVersion) {
    }

    /** A check finished; {@code offeredVersion} is 0 when the manifest was not modified. */
    default void checkFinished(long offeredVersion, boolean updateAvailable) {
    }

    /** A verified, newer version is offered. */
    default void updateAvailable(UpdateOffer offer) {
    }

    /** Manual mode: the approval callback is about to be asked. Apps show a notification here. */
    default void approvalNeeded(UpdateOffer offer) {
    }

    /** A route is being tried. */
    default void routeStarted(InstallRoute route, long downloadBytes) {
    }

    /**
     * Download progress of one file: reported when a download starts (with the bytes already on disk from an
     * earlier attempt, 0 when none), every MiB, and when its stream ends, also when it fails; a download started
     * over reports its new start again. So the increases between reports add up to the bytes fetched. A file
     * found already downloaded is reported at most once, at its size.
     *
     * @param file         the payload file's name
     * @param bytes        bytes on disk so far, resumed ones included
     * @param totalBytes   the file's size
     * @param stagePercent how far the download stage is, 0..100
     */
    default void downloadProgress(String file, long bytes, long totalBytes, int stagePercent) {
    }

    /** A downloaded file passed its size and SHA-256 check against the signed manifest. */
    default void verified(String file, long bytes) {
    }

    /** Install progress: {@code records} of {@code totalRecords} written into the new generation. */
    default void installProgress(long records, long totalRecords, int stagePercent) {
    }

    /** The new generation was activated; readers now see it. {@code previous} is null on a first install. */
    default void swapped(Generation previous, Generation current) {
    }

    /** A route failed and the client moves on to the next. */
    default void fallback(InstallRoute failed, InstallRoute next, IOException cause) {
    }

    /** The run ended with an installed (or already current) version. */
    default void completed(SyncResult result) {
    }

    /** The run failed at {@code stage}; the previous version keeps serving. */
    default void failed(SyncState stage, IOException cause) {
    }

    /** The store went back to an earlier generation, after a failed swap or on request. */
    default void rolledBack(Generation current, String reason) {
    }

    /** The run ended without installing for a reason that is not a failure (rollout, declined, metered). */
    default void skipped(Manifest offered, SyncResult.Outcome why) {
    }
}
