package dev.nyla.sync.client;

import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.store.Generation;
import java.io.IOException;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * {@link SyncListener#all}: every event to each listener in turn. Each is wrapped in its own {@link SyncEvents},
 * so a listener that throws is logged there and the next one still hears the event.
 */
final class SyncListeners implements SyncListener {
    private final List<SyncEvents> listeners;

    SyncListeners(SyncListener[] listeners) {
        for (int i = 0; i < listeners.length; i++) {
            Objects.requireNonNull(listeners[i], "listeners[" + i + "]");
        }
        this.listeners = Stream.of(listeners).map(SyncEvents::new).toList();
    }

    private void each(Consumer<SyncListener> event) {
        for (SyncEvents l : listeners) {
            l.emit(event);
        }
    }

    @Override
    public void stateChanged(SyncState from, SyncState to) {
        each(l -> l.stateChanged(from, to));
    }

    @Override
    public void checkStarted(long trustedVersion) {
        each(l -> l.checkStarted(trustedVersion));
    }

    @Override
    public void checkFinished(long offeredVersion, boolean updateAvailable) {
        each(l -> l.checkFinished(offeredVersion, updateAvailable));
    }

    @Override
    public void updateAvailable(UpdateOffer offer) {
        each(l -> l.updateAvailable(offer));
    }

    @Override
    public void approvalNeeded(UpdateOffer offer) {
        each(l -> l.approvalNeeded(offer));
    }

    @Override
    public void routeStarted(InstallRoute route, long downloadBytes) {
        each(l -> l.routeStarted(route, downloadBytes));
    }

    @Override
    public void downloadProgress(String file, long bytes, long totalBytes, int stagePercent) {
        each(l -> l.downloadProgress(file, bytes, totalBytes, stagePercent));
    }

    @Override
    public void verified(String file, long bytes) {
        each(l -> l.verified(file, bytes));
    }

    @Override
    public void installProgress(long records, long totalRecords, int stagePercent) {
        each(l -> l.installProgress(records, totalRecords, stagePercent));
    }

    @Override
    public void swapped(Generation previous, Generation current) {
        each(l -> l.swapped(previous, current));
    }

    @Override
    public void fallback(InstallRoute failed, InstallRoute next, IOException cause) {
        each(l -> l.fallback(failed, next, cause));
    }

    @Override
    public void completed(SyncResult result) {
        each(l -> l.completed(result));
    }

    @Override
    public void failed(SyncState stage, IOException cause) {
        each(l -> l.failed(stage, cause));
    }

    @Override
    public void rolledBack(Generation current, String reason) {
        each(l -> l.rolledBack(current, reason));
    }

    @Override
    public void skipped(Manifest offered, SyncResult.Outcome why) {
        each(l -> l.skipped(offered, why));
    }
}
