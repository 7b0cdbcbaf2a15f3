package dev.nyla.sync.reconcile;

import dev.nyla.sync.store.LockTimeoutException;
import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The in-process lock of each (store location, tenant): two reconcilers of the same store in one JVM never
 * repair the same tenant at once. Entries exist only while held or awaited, so a run over a million
 * tenants does not leave a million locks behind.
 */
final class LocalTenantLocks {
    private static final ConcurrentHashMap<String, Entry> LOCKS = new ConcurrentHashMap<>();

    private static final class Entry {
        final ReentrantLock lock = new ReentrantLock();
        volatile int users; // changed only inside LOCKS.compute
    }

    private LocalTenantLocks() {
    }

    static Closeable acquire(String location, String tenant, Duration timeout) throws IOException {
        String key = location + '\u0000' + tenant;
        Entry entry = LOCKS.compute(key, (k, e) -> {
            Entry x = e == null ? new Entry() : e;
            x.users++;
            return x;
        });
        boolean locked = false;
        try {
            locked = entry.lock.tryLock(timeout.toNanos(), TimeUnit.NANOSECONDS);
            if (!locked) {
                throw new LockTimeoutException("in-process repair lock of tenant '" + tenant + "' in " + location, timeout);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the repair lock of tenant '" + tenant + "'");
        } finally {
            if (!locked) {
                release(key, entry);
            }
        }
        return new Closeable() {
            private boolean closed;

            @Override
            public void close() {
                if (!closed) {
                    closed = true;
                    entry.lock.unlock();
                    release(key, entry);
                }
            }
        };
    }

    private static void release(String key, Entry entry) {
        LOCKS.compute(key, (k, e) -> --entry.users == 0 ? null : entry);
    }

    /** Threads holding or awaiting the lock of (location, tenant), for tests. */
    static int users(String location, String tenant) {
        Entry e = LOCKS.get(location + '\u0000' + tenant);
        if (e == null) {
            return 0;
        }
        return e.users;
    }

    /** Locks currently held or awaited, for tests. */
    static int size() {
        return LOCKS.size();
    }
}
