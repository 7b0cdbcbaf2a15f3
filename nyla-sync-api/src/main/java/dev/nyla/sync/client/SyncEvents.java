package dev.nyla.sync.client;

import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands the sync run's events to the app's {@link SyncListener}. A listener that throws is logged and
 * ignored: an event must never break an install.
 */
final class SyncEvents {
    private static final Logger LOG = LoggerFactory.getLogger(SyncEvents.class);

    private final SyncListener listener;

    SyncEvents(SyncListener listener) {
        this.listener = listener;
    }

    void emit(Consumer<SyncListener> event) {
        try {
            event.accept(listener);
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable e) {
            // An AssertionError or a Kotlin TODO() in a listener must not break an install either.
            LOG.warn("sync listener failed (ignored): {}", e.toString(), e);
        }
    }

    /** {@code done} of {@code total} as a whole percentage for progress events; 100 when there is nothing to do. */
    static int percent(long done, long total) {
        return total == 0 ? 100 : (int) (done * 100 / total);
    }
}
