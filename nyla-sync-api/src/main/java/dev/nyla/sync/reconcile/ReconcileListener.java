package dev.nyla.sync.reconcile;

/**
 * Hears what a {@link Reconciler} does, tenant by tenant: for progress displays, logs and metrics.
 *
 * <p>Runs over many tenants call it from several worker threads at once, so implementations must be
 * thread-safe. An exception thrown by a listener is logged and otherwise ignored.
 */
public interface ReconcileListener {

    /** A phase of a tenant's sync. */
    enum Phase {
        /** Reading the source and the store and diffing them. */
        CHECK,
        /** Embedding missing and changed records and writing them. */
        EMBED,
        /** Deleting stale records, after every replacement was written. */
        DELETE,
        /** Re-checking after the repair. */
        VERIFY
    }

    /**
     * A listener that hands every event to each of {@code listeners}, in the order given: a builder takes one
     * listener, and this is how several hear the same reconciler (a log and metrics, say). One that throws is
     * logged and ignored, and the ones after it still hear the event.
     */
    static ReconcileListener all(ReconcileListener... listeners) {
        return new ReconcileListeners(listeners.clone());
    }

    /** A check of one tenant finished (also the first check of a sync, and each verifying check). */
    default void checked(Drift drift) {
    }

    /** Progress within a phase: {@code done} of {@code total} items (records embedded, ids deleted). */
    default void progress(String tenant, Phase phase, long done, long total) {
    }

    /** A sync of one tenant ended, successfully or not. */
    default void synced(SyncReport report) {
    }

    /**
     * The check of one tenant in a {@link Reconciler#checkAll()} failed, or a tenant of a
     * {@link Reconciler#syncAll(boolean)} could not even start (a tenant name no store can hold).
     */
    default void tenantFailed(String tenant, Exception error) {
    }
}
