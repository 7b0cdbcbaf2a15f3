package dev.nyla.sync.reconcile;

import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * {@link ReconcileListener#all}: every event to each listener in turn. Each is wrapped in its own
 * {@link ReconcileEvents}, so a listener that throws is logged there and the next one still hears the event.
 */
final class ReconcileListeners implements ReconcileListener {
    private final List<ReconcileEvents> listeners;

    ReconcileListeners(ReconcileListener[] listeners) {
        for (int i = 0; i < listeners.length; i++) {
            Objects.requireNonNull(listeners[i], "listeners[" + i + "]");
        }
        this.listeners = Stream.of(listeners).map(ReconcileEvents::new).toList();
    }

    private void each(Consumer<ReconcileListener> event) {
        for (ReconcileEvents l : listeners) {
            l.fire(event);
        }
    }

    @Override
    public void checked(Drift drift) {
        each(l -> l.checked(drift));
    }

    @Override
    public void progress(String tenant, Phase phase, long done, long total) {
        each(l -> l.progress(tenant, phase, done, total));
    }

    @Override
    public void synced(SyncReport report) {
        each(l -> l.synced(report));
    }

    @Override
    public void tenantFailed(String tenant, Exception error) {
        each(l -> l.tenantFailed(tenant, error));
    }
}
