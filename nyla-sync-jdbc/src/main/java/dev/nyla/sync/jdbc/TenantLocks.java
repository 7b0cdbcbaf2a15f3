package dev.nyla.sync.jdbc;

import dev.nyla.sync.store.LockTimeoutException;
import dev.nyla.sync.store.StoreException;
import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-tenant repair locks of {@link JdbcVectorStore}, respected by every process that uses the store:
 * a PostgreSQL session-level advisory lock, or a byte-range lock in a file beside a SQLite database.
 */
final class TenantLocks {
    private static final Logger LOG = LoggerFactory.getLogger(TenantLocks.class);
    /** PostgreSQL's SQLSTATE lock_not_available, raised when lock_timeout expires. */
    private static final String LOCK_NOT_AVAILABLE = "55P03";
    /** The sidecar file's locks are one process's; a second channel's close would drop them all (POSIX), so one channel per file. */
    private static final Map<Path, Sidecar> SIDECARS = new HashMap<>(); // guarded by itself

    private TenantLocks() {
    }

    /**
     * The 64-bit lock key of {@code tenant} in the store at {@code schema.prefix}: the first 8 bytes of
     * SHA-256 over {@code "nyla-tenant-lock\0" + schema + "." + prefix + "\0" + tenant}. Stores under other
     * prefixes or schemas of one database get other keys, so they never wait for one another (but for a
     * collision of 64-bit hashes).
     */
    static long key(String schema, String prefix, String tenant) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(("nyla-tenant-lock\0" + schema + "." + prefix
                    + "\0" + tenant).getBytes(StandardCharsets.UTF_8));
            return ByteBuffer.wrap(digest, 0, Long.BYTES).getLong();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    static String lockName(String tenant, String location) {
        return "repair lock of tenant '" + tenant + "' in " + location;
    }

    // ---- PostgreSQL ----------------------------------------------------------------------------------------

    /**
     * Takes the advisory lock of {@code tenant} on a connection of its own, which the returned handle keeps
     * until it unlocks. A zero timeout tries once; otherwise the wait ends with {@code lock_timeout}.
     *
     * @param schema the store's schema, or empty for the connection's current schema
     */
    static Closeable advisory(DataSource dataSource, String schema, String prefix, String tenant, Duration timeout,
                              String location) throws IOException {
        String lock = lockName(tenant, location);
        Connection c;
        try {
            c = dataSource.getConnection();
        } catch (SQLException e) {
            throw new StoreException(location + ": take the " + lock + ": " + e.getMessage(), e);
        }
        long key;
        boolean locked = false;
        try {
            // A session-level lock lives as long as the session, not a transaction.
            c.setAutoCommit(true);
            key = key(schema.isEmpty() ? currentSchema(c) : schema, prefix, tenant);
            if (timeout.isZero()) {
                locked = queryBoolean(c, "SELECT pg_try_advisory_lock(?)", key);
            } else {
                // lock_timeout 0 would mean "wait forever": at least 1 ms.
                long ms = Math.max(1, Math.min(Integer.MAX_VALUE, (timeout.toNanos() + 999_999) / 1_000_000));
                Dialect.execute(c, "SET lock_timeout = '" + ms + "ms'");
                try {
                    try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_lock(?)")) {
                        ps.setLong(1, key);
                        ps.executeQuery().close(); // returns void: taken once the statement returns
                    }
                    locked = true;
                } catch (SQLException e) {
                    if (!LOCK_NOT_AVAILABLE.equals(e.getSQLState())) {
                        throw e;
                    }
                }
            }
            if (!locked) {
                throw new LockTimeoutException(lock, timeout);
            }
            return new AdvisoryLock(c, key, lock);
        } catch (SQLException e) {
            throw new StoreException(location + ": take the " + lock + ": " + e.getMessage(), e);
        } finally {
            if (!locked) {
                resetAndClose(c);
            }
        }
    }

    private static String currentSchema(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT current_schema()")) {
            String schema = rs.next() ? rs.getString(1) : null;
            return schema == null ? "" : schema;
        }
    }

    private static boolean queryBoolean(Connection c, String sql, long key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    /** Gives the connection back as it came (a pool may hand it out again). */
    private static void resetAndClose(Connection c) {
        try {
            Dialect.execute(c, "RESET lock_timeout");
        } catch (SQLException e) {
            LOG.debug("could not reset lock_timeout on a lock connection: {}", e.getMessage());
        }
        try {
            c.close();
        } catch (SQLException e) {
            LOG.debug("could not close a lock connection: {}", e.getMessage());
        }
    }

    private static final class AdvisoryLock implements Closeable {
        private final Connection connection;
        private final long key;
        private final String lock;
        private boolean closed;

        AdvisoryLock(Connection connection, long key, String lock) {
            this.connection = connection;
            this.key = key;
            this.lock = lock;
        }

        @Override
        public synchronized void close() throws IOException {
            if (closed) {
                return;
            }
            closed = true;
            SQLException failure = null;
            try {
                if (!queryBoolean(connection, "SELECT pg_advisory_unlock(?)", key)) {
                    LOG.warn("{}: was not held by its session when released", lock);
                }
            } catch (SQLException e) {
                failure = e;
            }
            if (failure == null) {
                resetAndClose(connection);
            } else {
                // The session may still hold the lock: end it rather than hand it back to a pool, where it would
                // keep the tenant locked for as long as the pool keeps the connection.
                try {
                    connection.abort(Runnable::run);
                    // A pool evicts an aborted connection when it comes back (a driver's own close does nothing more).
                    connection.close();
                } catch (SQLException | RuntimeException e) {
                    failure.addSuppressed(e);
                }
            }
            if (failure != null) {
                throw new StoreException("release the " + lock + ": " + failure.getMessage(), failure);
            }
        }
    }

    // ---- SQLite --------------------------------------------------------------------------------------------

    /**
     * Takes the lock of {@code tenant} as an exclusive lock on one byte of {@code <database>.nyla-locks} at
     * offset {@code key & 0x7fffffff}, polling until {@code timeout} (once for zero). The operating system
     * releases it when the process dies. Two tenants whose keys agree in those 31 bits share a lock.
     */
    static Closeable sidecar(Path database, String prefix, String tenant, Duration timeout, String location)
            throws IOException {
        String lock = lockName(tenant, location);
        Path file = database.resolveSibling(database.getFileName() + ".nyla-locks");
        long offset = key("", prefix, tenant) & 0x7fffffffL;
        Sidecar sidecar = Sidecar.open(file);
        boolean locked = false;
        try {
            long deadline = System.nanoTime() + timeout.toNanos();
            long pause = 1;
            while (true) {
                FileLock held;
                try {
                    held = sidecar.channel.tryLock(offset, 1, false);
                } catch (OverlappingFileLockException e) {
                    held = null; // another thread of this JVM holds it (or a tenant sharing its byte)
                }
                if (held != null) {
                    locked = true;
                    return new SidecarLock(sidecar, held, lock);
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new LockTimeoutException(lock, timeout);
                }
                try {
                    Thread.sleep(Math.min(pause, Math.max(1, left / 1_000_000)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while waiting for the " + lock);
                }
                pause = Math.min(50, pause * 2);
            }
        } finally {
            if (!locked) {
                sidecar.release();
            }
        }
    }

    /** One open channel on a sidecar file, shared by every lock of this JVM on it. */
    private static final class Sidecar {
        final Path file;
        final FileChannel channel;
        int users; // guarded by SIDECARS

        private Sidecar(Path file, FileChannel channel) {
            this.file = file;
            this.channel = channel;
        }

        static Sidecar open(Path file) throws IOException {
            Path key = file.toAbsolutePath().normalize();
            synchronized (SIDECARS) {
                Sidecar s = SIDECARS.get(key);
                if (s == null) {
                    s = new Sidecar(key, FileChannel.open(key, StandardOpenOption.CREATE, StandardOpenOption.READ,
                            StandardOpenOption.WRITE));
                    SIDECARS.put(key, s);
                }
                s.users++;
                return s;
            }
        }

        void release() throws IOException {
            synchronized (SIDECARS) {
                if (--users == 0) {
                    SIDECARS.remove(file);
                    channel.close();
                }
            }
        }
    }

    private static final class SidecarLock implements Closeable {
        private final Sidecar sidecar;
        private final FileLock held;
        private final String lock;
        private boolean closed;

        SidecarLock(Sidecar sidecar, FileLock held, String lock) {
            this.sidecar = sidecar;
            this.held = held;
            this.lock = lock;
        }

        @Override
        public synchronized void close() throws IOException {
            if (closed) {
                return;
            }
            closed = true;
            try {
                held.release();
            } catch (IOException e) {
                throw new StoreException("release the " + lock + " in " + sidecar.file + ": " + e.getMessage(), e);
            } finally {
                sidecar.release();
            }
        }
    }
}
