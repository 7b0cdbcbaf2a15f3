package dev.nyla.sync.spring;

import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.client.InstallRoute;
import dev.nyla.sync.client.SyncListener;
import dev.nyla.sync.client.SyncResult;
import dev.nyla.sync.client.SyncState;
import dev.nyla.sync.client.UpdateOffer;
import dev.nyla.sync.store.Generation;
import java.io.IOException;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one listener a {@code NylaSync.Builder} takes, forwarding every event to each {@link SyncListener} bean of
 * the context in order. Each listener is called on its own: one that throws is logged and the others still hear
 * the event (the client itself would stop at the first).
 */
final class ForwardingSyncListener implements SyncListener {
    private static final Logger LOG = LoggerFactory.getLogger(ForwardingSyncListener.class);

    private final List<SyncListener> listeners;

    ForwardingSyncListener(List<SyncListener> listeners) {
        this.listeners = List.copyOf(listeners);
    }

    private void each(Consumer<SyncListener> event) {
        for (SyncListener l : listeners) {
            try {
                event.accept(l);
            } catch (VirtualMachineError e) {
                throw e;
            } catch (Throwable e) {
                LOG.warn("sync listener {} failed (ignored): {}", l.getClass().getName(), e.toString(), e);
            }
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
