package dev.nyla.sync.jdbc;

import dev.nyla.sync.EmbeddingModel;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

/**
 * SQLite: vectors as little-endian float32 blobs, exact search in the JVM. SQLite's default {@code BINARY}
 * collation compares UTF-8 bytes, which is {@link dev.nyla.sync.RecordKeys} order; in WAL mode a read
 * transaction keeps one snapshot while a writer installs the next generation.
 */
final class SqliteDialect extends Dialect {

    SqliteDialect(Tables tables, JdbcOptions options) {
        super(tables, options);
    }

    @Override
    JdbcDialect kind() {
        return JdbcDialect.SQLITE;
    }

    /** Puts the database in WAL mode (persistent; must run outside a transaction). */
    static void enableWal(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("PRAGMA journal_mode=WAL")) {
            String mode = rs.next() ? rs.getString(1) : "?";
            if (!"wal".equalsIgnoreCase(mode) && !"memory".equalsIgnoreCase(mode)) {
                throw new SQLException("SQLite journal mode: expected wal but the database stays in " + mode);
            }
        }
    }

    @Override
    void createMetaTables(Connection c) throws SQLException {
        execute(c, "CREATE TABLE IF NOT EXISTS " + tables.store() + " (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), "
                + "format INTEGER NOT NULL, dialect TEXT NOT NULL, active_generation INTEGER, "
                + "history TEXT NOT NULL DEFAULT '', serial INTEGER NOT NULL DEFAULT 0)");
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + tables.store()
                + " (singleton, format, dialect) VALUES (1, ?, ?) ON CONFLICT (singleton) DO NOTHING")) {
            ps.setInt(1, StoreBootstrap.FORMAT);
            ps.setString(2, kind().wireName());
            ps.executeUpdate();
        }
        // AUTOINCREMENT: a deleted generation's number is never handed out again.
        execute(c, "CREATE TABLE IF NOT EXISTS " + tables.generations() + " (id INTEGER PRIMARY KEY AUTOINCREMENT, "
                + "state TEXT NOT NULL, version INTEGER NOT NULL, label TEXT NOT NULL, model_id TEXT NOT NULL, "
                + "model_dimension INTEGER NOT NULL, model_similarity TEXT NOT NULL, model_normalized INTEGER NOT NULL, "
                + "model_fingerprint TEXT NOT NULL, record_count INTEGER NOT NULL, committed_at TEXT NOT NULL, "
                + "attributes TEXT NOT NULL)");
    }

    @Override
    void createGenerationTable(Connection c, long id, EmbeddingModel model) throws SQLException {
        // Keyed from the start: rows arrive in key order, so the key index is appended to, not rebuilt.
        execute(c, "CREATE TABLE " + tables.generation(id) + " (tenant TEXT NOT NULL, id TEXT NOT NULL, "
                + "text TEXT NOT NULL, metadata TEXT NOT NULL, content_hash TEXT NOT NULL, "
                + "model_fingerprint TEXT NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (tenant, id))");
    }

    @Override
    void addKey(Connection c, long id) {
        // The key exists from the table's creation.
    }

    @Override
    String metadataParam() {
        return "?";
    }

    @Override
    String vectorParam() {
        return "?";
    }

    @Override
    String vectorColumn() {
        return "vector";
    }

    @Override
    void bindVector(PreparedStatement ps, int index, float[] vector) throws SQLException {
        ps.setBytes(index, Codec.floatsLittleEndian(vector));
    }

    @Override
    float[] readVector(ResultSet rs, int column, String subject) throws SQLException {
        return Codec.fromLittleEndian(rs.getBytes(column), subject);
    }

    @Override
    String filterCondition(Map<String, String> filter) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < filter.size(); i++) {
            sb.append(" AND EXISTS (SELECT 1 FROM json_each(metadata) AS m WHERE m.key = ? AND m.value = ?)");
        }
        return sb.toString();
    }

    @Override
    int bindFilter(PreparedStatement ps, int index, Map<String, String> filter) throws SQLException {
        for (Map.Entry<String, String> e : filter.entrySet()) {
            ps.setString(index++, e.getKey());
            ps.setString(index++, e.getValue());
        }
        return index;
    }

    @Override
    void beginSnapshot(Connection c) throws SQLException {
        c.setAutoCommit(false);
    }

    @Override
    boolean isMissingTable(SQLException e) {
        return e.getMessage() != null && e.getMessage().contains("no such table");
    }

    @Override
    long bytesOnDisk(Connection c, Iterable<Long> generationIds) throws SQLException {
        try (Statement s = c.createStatement()) {
            long pages;
            long pageSize;
            try (ResultSet rs = s.executeQuery("PRAGMA page_count")) {
                rs.next();
                pages = rs.getLong(1);
            }
            try (ResultSet rs = s.executeQuery("PRAGMA page_size")) {
                rs.next();
                pageSize = rs.getLong(1);
            }
            return pages * pageSize;
        }
    }

    @Override
    Loader loader(Connection c, long id, EmbeddingModel model) throws SQLException {
        return new InsertLoader(this, c, id);
    }
}
