package dev.nyla.sync.jdbc;

import dev.nyla.sync.store.StoreException;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What happens once when a store opens: the dialect is detected from the database (or forced, or taken from
 * the store it finds), the store's tables are created when missing, and an existing store's format and dialect
 * are checked against what this code reads.
 */
final class StoreBootstrap {
    /** The version of the table layout, kept in the store row. */
    static final int FORMAT = 1;

    private static final Logger LOG = LoggerFactory.getLogger(StoreBootstrap.class);

    private StoreBootstrap() {
    }

    /**
     * Detects the dialect, creates the store's tables when missing (unless {@link JdbcOptions#createSchema()}
     * is off) and checks the store row.
     *
     * @throws StoreException when the database cannot be reached, is of an unsupported kind, holds a store of
     *         another dialect or format under the prefix, or lacks a table that may not be created
     */
    static Dialect open(DataSource dataSource, String location, JdbcOptions options, Tables tables)
            throws IOException {
        try (Connection c = dataSource.getConnection()) {
            Dialect dialect = chooseDialect(c, location, options, tables);
            if (options.createSchema() && !storeTableExists(c, tables, dialect)) {
                if (dialect instanceof SqliteDialect) {
                    SqliteDialect.enableWal(c);
                }
                Transactions.inTransaction(c, () -> {
                    dialect.createMetaTables(c);
                    return null;
                });
            }
            checkStoreRow(c, location, tables, dialect, options);
            return dialect;
        } catch (SQLException e) {
            throw new StoreException(location + ": cannot open the store: " + e.getMessage(), e);
        }
    }

    private static Dialect chooseDialect(Connection c, String location, JdbcOptions options, Tables tables)
            throws SQLException, StoreException {
        String product = c.getMetaData().getDatabaseProductName();
        Optional<JdbcDialect> forced = options.dialect();
        if ("SQLite".equalsIgnoreCase(product)) {
            if (forced.isPresent() && forced.get() != JdbcDialect.SQLITE) {
                throw new StoreException(location, "dialect", forced.get().wireName() + " (forced)", "a SQLite database");
            }
            if (!options.schema().isEmpty()) {
                throw new StoreException(location, "schema", "none (SQLite has no schemas)", options.schema());
            }
            return new SqliteDialect(tables, options);
        }
        if (!"PostgreSQL".equalsIgnoreCase(product)) {
            throw new StoreException(location, "database", "PostgreSQL or SQLite", product);
        }
        if (forced.isPresent() && forced.get() == JdbcDialect.SQLITE) {
            throw new StoreException(location, "dialect", "sqlite (forced)", "a PostgreSQL database");
        }
        Optional<JdbcDialect> recorded = recordedDialect(c, tables);
        if (recorded.isPresent() && forced.isPresent() && recorded.get() != forced.get()) {
            throw new StoreException(location, "dialect of the existing store " + tables.store(),
                    forced.get().wireName() + " (forced)", recorded.get().wireName());
        }
        Optional<String> pgvectorVersion = pgvectorVersion(c);
        JdbcDialect kind = recorded.or(() -> forced)
                .orElse(pgvectorVersion.isPresent() ? JdbcDialect.PGVECTOR : JdbcDialect.POSTGRES);
        if (kind == JdbcDialect.PGVECTOR && pgvectorVersion.isEmpty() && !options.createSchema()) {
            throw new StoreException(location, "pgvector extension", "installed (CREATE EXTENSION vector)",
                    "not installed, and createSchema is off");
        }
        if (kind == JdbcDialect.POSTGRES && forced.isEmpty() && recorded.isEmpty() && pgvectorAvailable(c)) {
            LOG.info("{}: pgvector is available but not installed; using plain PostgreSQL (exact search). "
                    + "Run CREATE EXTENSION vector, or open with nyla.dialect=pgvector, for HNSW search.", location);
        }
        boolean copy = switch (options.bulkLoad()) {
            case COPY -> true;
            case INSERT -> false;
            // The PGlite socket server (used for pgvector tests) does not carry the COPY sub-protocol.
            case AUTO -> !serverVersion(c).contains("PGlite");
        };
        PostgresDialect postgres = new PostgresDialect(tables, options, kind == JdbcDialect.PGVECTOR, copy,
                pgvectorVersion);
        if (kind == JdbcDialect.PGVECTOR && !postgres.hasIterativeScan()) {
            LOG.warn("{}: pgvector {} lacks iterative index scans (0.8+) or HNSW (0.5+): filtered searches through "
                    + "the index may return fewer than k hits; upgrade with ALTER EXTENSION vector UPDATE", location,
                    pgvectorVersion.orElse("?"));
        }
        return postgres;
    }

    /**
     * Whether the store row's table exists. SQLite: checked before creating anything, because a transaction
     * that reads first and writes second cannot wait for another writer (SQLite skips its busy handler for
     * that upgrade), so opening a second store during an install would fail at once.
     */
    private static boolean storeTableExists(Connection c, Tables tables, Dialect dialect) throws SQLException {
        if (dialect instanceof PostgresDialect) {
            return false; // CREATE ... IF NOT EXISTS under an advisory lock is safe and cheap there
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?")) {
            ps.setString(1, tables.prefix() + "_store");
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    private static Optional<JdbcDialect> recordedDialect(Connection c, Tables tables) throws SQLException {
        // A catalog query, not a select on the table: a failed statement would abort a surrounding transaction.
        try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            ps.setString(1, tables.store());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next() || !rs.getBoolean(1)) {
                    return Optional.empty();
                }
            }
        }
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT dialect FROM " + tables.store() + " WHERE singleton = 1")) {
            return rs.next() ? Optional.of(JdbcDialect.fromWireName(rs.getString(1))) : Optional.empty();
        } catch (IllegalArgumentException e) {
            throw new SQLException(tables.store() + ": " + e.getMessage(), e);
        }
    }

    private static Optional<String> pgvectorVersion(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT extversion FROM pg_extension WHERE extname = 'vector'")) {
            return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
        }
    }

    private static boolean pgvectorAvailable(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")) {
            return rs.next();
        }
    }

    private static String serverVersion(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT version()")) {
            return rs.next() ? rs.getString(1) : "";
        }
    }

    private static void checkStoreRow(Connection c, String location, Tables tables, Dialect dialect, JdbcOptions options)
            throws SQLException, StoreException {
        int format;
        String recorded;
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT format, dialect FROM " + tables.store() + " WHERE singleton = 1")) {
            if (!rs.next()) {
                throw new StoreException(location, "table " + tables.store(), "one row", "none");
            }
            format = rs.getInt(1);
            recorded = rs.getString(2);
        } catch (SQLException e) {
            if (!options.createSchema() && dialect.isMissingTable(e)) {
                throw new StoreException(location, "table " + tables.store(), "to exist (createSchema is off)",
                        "missing", e);
            }
            throw e;
        }
        if (format != FORMAT) {
            throw new StoreException(location, "store format in " + tables.store(), FORMAT, format);
        }
        if (!dialect.kind().wireName().equals(recorded)) {
            throw new StoreException(location, "dialect of the existing store " + tables.store(),
                    dialect.kind().wireName(), recorded);
        }
        if (!options.createSchema()) {
            try (Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT count(*) FROM " + tables.generations())) {
                rs.next();
            } catch (SQLException e) {
                throw new StoreException(location, "table " + tables.generations(), "to exist (createSchema is off)",
                        "missing", e);
            }
        }
    }
}
