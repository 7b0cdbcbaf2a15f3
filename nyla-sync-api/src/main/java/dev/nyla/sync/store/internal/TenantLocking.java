package dev.nyla.sync.store.internal;

import dev.nyla.sync.store.LockTimeoutException;
import dev.nyla.sync.store.VectorStore;
import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;

/**
 * A capability some {@link VectorStore}s have: a lock per tenant that every process using the same store
 * respects, so that two application instances never repair the same tenant at once.
 *
 * <p>The reconciler takes this lock (after an in-process one) around every repair of a tenant. A store
 * without it, such as an embedded store that only one process opens for writing, is serialized by the
 * in-process lock alone. The PostgreSQL store implements it with a session-level advisory lock held on a
 * dedicated connection.
 */
public interface TenantLocking {

    /**
     * Takes the lock of {@code tenant}, waiting at most {@code timeout} for another holder to release it.
     *
     * @return a handle whose {@link Closeable#close()} releases the lock
     * @throws LockTimeoutException when the lock was not free within {@code timeout}
     */
    Closeable lockTenant(String tenant, Duration timeout) throws IOException;
}
