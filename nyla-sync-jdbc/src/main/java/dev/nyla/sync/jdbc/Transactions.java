package dev.nyla.sync.jdbc;

import dev.nyla.sync.store.StoreException;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a store uses its connections: each operation borrows one from the {@link DataSource} and gives it back
 * in autocommit mode, as a pool expects; reads run in one snapshot and retry when a generation was dropped
 * under them, writes serialize on the store row.
 */
final class Transactions {
    /** Times a read is retried when the generation it started on was dropped under it. */
    static final int RETRIES = 5;
    /** Rows per round trip: the fetch size of scans and the page size of tenant and inventory streams. */
    static final int PAGE = 1_000;

    private static final Logger LOG = LoggerFactory.getLogger(Transactions.class);

    private final DataSource dataSource;
    private final Dialect dialect;
    private final String location;

    Transactions(DataSource dataSource, Dialect dialect, String location) {
        this.dataSource = dataSource;
        this.dialect = dialect;
        this.location = location;
    }

    DataSource dataSource() {
        return dataSource;
    }

    /** Work done on one connection, in one transaction. */
    interface SqlWork<T> {
        T run(Connection c) throws SQLException, IOException;
    }

    interface Body<T> {
        T run() throws SQLException, IOException;
    }

    /** Runs {@code work} in a read-only snapshot transaction, retrying when a generation was dropped under it. */
    <T> T read(String what, SqlWork<T> work) throws IOException {
        for (int attempt = 0; ; attempt++) {
            try (Connection c = dataSource.getConnection()) {
                try {
                    dialect.beginSnapshot(c);
                    T result = work.run(c);
                    c.commit();
                    return result;
                } catch (SQLException | IOException | RuntimeException e) {
                    rollbackQuietly(c);
                    throw e;
                } finally {
                    restoreAutoCommit(c);
                }
            } catch (SQLException e) {
                if (dialect.isMissingTable(e) && attempt < RETRIES) {
                    LOG.debug("{}: {}: a generation was dropped under the read; retrying", location, what);
                    continue;
                }
                throw new StoreException(location + ": " + what + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * Runs {@code work} in a write transaction that first locks the store row, so that activations,
     * deletions and mutations of all processes sharing the store serialize.
     */
    <T> T write(String what, SqlWork<T> work) throws IOException {
        try (Connection c = dataSource.getConnection()) {
            return inTransaction(c, () -> {
                lockStore(c);
                return work.run(c);
            });
        } catch (SQLException e) {
            throw new StoreException(location + ": " + what + ": " + e.getMessage(), e);
        }
    }

    /** Locks the store row by writing it: PostgreSQL takes a row lock, SQLite the database's write lock. */
    private void lockStore(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            requireOneRow(s.executeUpdate("UPDATE " + dialect.tables.store() + " SET serial = serial + 1 WHERE singleton = 1"),
                    "lock " + dialect.tables.store());
        }
    }

    static <T> T inTransaction(Connection c, Body<T> body) throws SQLException, IOException {
        c.setAutoCommit(false);
        try {
            T result = body.run();
            c.commit();
            return result;
        } catch (SQLException | IOException | RuntimeException | Error e) {
            rollbackQuietly(c);
            throw e;
        } finally {
            restoreAutoCommit(c);
        }
    }

    /**
     * Gives the connection back in autocommit mode, as a pool expects it; a failure here (a broken connection)
     * must not replace the outcome being reported, and the pool discards such a connection anyway.
     */
    static void restoreAutoCommit(Connection c) {
        try {
            c.setAutoCommit(true);
        } catch (SQLException e) {
            LOG.debug("could not restore autocommit on a connection: {}", e.getMessage());
        }
    }

    static void rollbackQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException ignored) {
            // The original failure is what the caller reports; the connection is closed next.
        }
    }

    static void requireOneRow(int count, String what) throws SQLException {
        if (count != 1) {
            throw new SQLException(what + ": expected 1 row affected but was " + count);
        }
    }
}
