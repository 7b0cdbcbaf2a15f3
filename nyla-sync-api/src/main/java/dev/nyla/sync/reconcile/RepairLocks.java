package dev.nyla.sync.reconcile;

import dev.nyla.sync.store.VectorStore;
import dev.nyla.sync.store.internal.TenantLocking;
import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;

/**
 * The locks a repair holds: the in-process lock of (store, tenant) ({@link LocalTenantLocks}), then, when
 * the store implements {@link TenantLocking} (PostgreSQL: an advisory lock), the lock every process
 * respects, both within one timeout.
 */
final class RepairLocks {
    /** The lock name for store-wide steps; never a valid tenant, so never a tenant's lock. */
    static final String STORE = "";

    private final VectorStore store;
    private final Duration timeout;

    RepairLocks(VectorStore store, Duration timeout) {
        this.store = store;
        this.timeout = timeout;
    }

    /** The in-process lock, then the store's lock shared by every process, of {@code name}. */
    Closeable acquire(String name) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Closeable local = LocalTenantLocks.acquire(scope(store), name, timeout);
        if (!(store instanceof TenantLocking locking)) {
            return local;
        }
        Closeable shared;
        try {
            Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
            shared = locking.lockTenant(name, left);
        } catch (IOException | RuntimeException e) {
            local.close();
            throw e;
        }
        return () -> {
            try {
                shared.close();
            } finally {
                local.close();
            }
        };
    }

    /**
     * What the in-process locks are keyed by: the store object, since unrelated stores can share a location
     * string (every in-memory store is {@code memory:}). Two objects on one database or directory are kept
     * apart by the store's own {@link TenantLocking} or its single-writer lock file.
     */
    static String scope(VectorStore store) {
        return store.location() + "@" + Integer.toHexString(System.identityHashCode(store));
    }
}
