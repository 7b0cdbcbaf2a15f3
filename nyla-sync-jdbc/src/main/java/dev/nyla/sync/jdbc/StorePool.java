package dev.nyla.sync.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.pool.HikariPool;
import dev.nyla.sync.store.StoreException;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * The connection pool (HikariCP) of a store opened by a {@code jdbc:} location or by
 * {@link JdbcVectorStore#openEmbedded}: the store owns it and closes it with itself. A store on an
 * application's own data source never gets one; the application pools as it likes.
 *
 * <p>Without it every search, inventory page and install connected afresh: on PostgreSQL a TCP connect, a
 * backend start and authentication; on SQLite opening the file, reading its schema and applying the
 * {@code PRAGMA}s. Pooled connections come from the driver's data source, so each one was set up by the
 * driver as before (SQLite's WAL, {@code synchronous} and busy timeout, or read-only mode), and HikariCP
 * resets what an operation changed (auto-commit, read-only, isolation) and rolls back an open transaction
 * when a connection comes back.
 */
final class StorePool extends HikariDataSource {
    /**
     * HikariCP's default: at most this many operations run at once, a tenant lock counting as one (a repair
     * holds its lock's connection and borrows another, so a reconciler of concurrency 4 fits).
     */
    static final int DEFAULT_MAX_CONNECTIONS = 10;
    /** The most connections a location may ask for. */
    static final int LIMIT = 1_000;

    private StorePool(HikariConfig config) {
        super(config);
    }

    /** What opens the store on the pool. */
    interface Opener<T> {
        T open(DataSource pool) throws IOException;
    }

    /**
     * A pool over {@code driver}'s connections, handed to {@code opener}; closed again when the opener fails.
     *
     * @param readOnly       whether {@code driver}'s connections are read-only (HikariCP would otherwise reset them)
     * @param maxConnections the most connections open at once
     * @throws StoreException when the database cannot be reached, with the driver's message and exception
     */
    static <T> T open(DataSource driver, String location, boolean readOnly, int maxConnections, Opener<T> opener)
            throws IOException {
        StorePool pool;
        try {
            pool = over(driver, location, readOnly, maxConnections);
        } catch (SQLException e) {
            throw new StoreException(location + ": cannot open the store: " + e.getMessage(), e);
        }
        try {
            return opener.open(pool);
        } catch (IOException | RuntimeException | Error e) {
            pool.close();
            throw e;
        }
    }

    private static StorePool over(DataSource driver, String location, boolean readOnly, int maxConnections)
            throws SQLException {
        // One connection of our own first: when it fails, HikariCP's start-up check would wait a second and
        // log an error before throwing; the driver's own failure is immediate and says what is wrong.
        try (Connection probe = driver.getConnection()) {
            probe.getAutoCommit();
        }
        HikariConfig config = new HikariConfig();
        config.setDataSource(driver);
        config.setPoolName("nyla-sync " + location);
        config.setMaximumPoolSize(maxConnections);
        // One connection stays open between operations; the others close after a minute unused.
        config.setMinimumIdle(1);
        config.setIdleTimeout(60_000);
        config.setReadOnly(readOnly);
        try {
            return new StorePool(config);
        } catch (HikariPool.PoolInitializationException e) {
            throw e.getCause() instanceof SQLException s ? s : new SQLException(e.getMessage(), e);
        }
    }
}
