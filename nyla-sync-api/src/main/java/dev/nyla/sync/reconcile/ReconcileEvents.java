package dev.nyla.sync.reconcile;

import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Hands a reconciler's events to its {@link ReconcileListener}; a listener that throws is logged and ignored. */
final class ReconcileEvents {
    private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);

    private final ReconcileListener listener;

    ReconcileEvents(ReconcileListener listener) {
        this.listener = listener;
    }

    void fire(Consumer<ReconcileListener> event) {
        try {
            event.accept(listener);
        } catch (RuntimeException e) {
            LOG.warn("reconcile listener failed: {}", e.toString());
        }
    }
}
