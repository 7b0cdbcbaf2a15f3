package dev.nyla.sync.jdbc;

import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.VectorRecord;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;

/**
 * What differs between the databases: column types, DDL, parameter casts, transactions and bulk loading.
 * The store's logic ({@link JdbcVectorStore}) is written once against this.
 */
abstract sealed class Dialect permits PostgresDialect, SqliteDialect {
    /** The columns of a generation table, in the order every insert and COPY uses. */
    static final String COLUMNS = "tenant, id, text, metadata, content_hash, model_fingerprint, vector";
    /** Ids per {@code IN} list. */
    private static final int IN_LIST = 500;

    final Tables tables;
    final JdbcOptions options;

    Dialect(Tables tables, JdbcOptions options) {
        this.tables = tables;
        this.options = options;
    }

    abstract JdbcDialect kind();

    /** Creates the store and generations tables when missing, and the store's one row. */
    abstract void createMetaTables(Connection c) throws SQLException;

    /** Creates generation {@code id}'s empty table. */
    abstract void createGenerationTable(Connection c, long id, EmbeddingModel model) throws SQLException;

    /** Adds the (tenant, id) primary key once rows are loaded, where it is cheaper to build afterwards. */
    abstract void addKey(Connection c, long id) throws SQLException;

    /** Builds the vector index of a loaded generation, if the dialect has one. */
    void buildVectorIndex(Connection c, long id, EmbeddingModel model) throws SQLException {
    }

    /** A parameter placeholder for a metadata JSON string. */
    abstract String metadataParam();

    /** A parameter placeholder for a vector bound with {@link #bindVector}. */
    abstract String vectorParam();

    /** The select-list expression reading the vector column for {@link #readVector}. */
    abstract String vectorColumn();

    abstract void bindVector(PreparedStatement ps, int index, float[] vector) throws SQLException;

    abstract float[] readVector(ResultSet rs, int column, String subject) throws SQLException;

    /** An SQL condition (starting with {@code AND}) keeping rows whose metadata has every filter entry. */
    abstract String filterCondition(Map<String, String> filter);

    /** Binds the parameters of {@link #filterCondition}; returns the next parameter index. */
    abstract int bindFilter(PreparedStatement ps, int index, Map<String, String> filter) throws SQLException;

    /** Starts a read-only transaction that sees one snapshot of the database until it ends. */
    abstract void beginSnapshot(Connection c) throws SQLException;

    /** Whether {@code e} says a table does not exist (a generation dropped between two statements). */
    abstract boolean isMissingTable(SQLException e);

    /** Bytes used by the store's tables. */
    abstract long bytesOnDisk(Connection c, Iterable<Long> generationIds) throws SQLException;

    /**
     * Refuses a record this database cannot store faithfully.
     *
     * @throws IllegalArgumentException naming the record and the problem
     */
    void requireStorable(VectorRecord r) {
    }

    /** The loader of a new generation's rows, streamed in key order. */
    abstract Loader loader(Connection c, long id, EmbeddingModel model) throws SQLException;

    /** {@code INSERT INTO generation (...) VALUES (...)} with one placeholder per column. */
    final String insertSql(long id) {
        return "INSERT INTO " + tables.generation(id) + " (" + COLUMNS + ") VALUES (?, ?, ?, " + metadataParam()
                + ", ?, ?, " + vectorParam() + ")";
    }

    /** As {@link #insertSql}, replacing the row of an existing key. */
    final String upsertSql(long id) {
        return insertSql(id) + " ON CONFLICT (tenant, id) DO UPDATE SET text = excluded.text, "
                + "metadata = excluded.metadata, content_hash = excluded.content_hash, "
                + "model_fingerprint = excluded.model_fingerprint, vector = excluded.vector";
    }

    /** Binds a record to the placeholders of {@link #insertSql}. */
    final void bindRecord(PreparedStatement ps, VectorRecord r, String modelFingerprint) throws SQLException {
        ps.setString(1, r.tenant());
        ps.setString(2, r.id());
        ps.setString(3, r.text());
        ps.setString(4, Codec.json(r.metadata()));
        ps.setString(5, r.contentHash());
        ps.setString(6, modelFingerprint);
        bindVector(ps, 7, r.vector());
    }

    /** Receives the rows of a query one at a time. */
    interface RowConsumer {
        void accept(ResultSet rs) throws SQLException;
    }

    /** Reads {@code columns} of the rows of {@code tenant} with the given ids, in statements of up to 500 ids. */
    final void selectByIds(Connection c, long generation, String columns, String tenant, List<String> ids,
                           RowConsumer each) throws SQLException {
        for (int from = 0; from < ids.size(); from += IN_LIST) {
            List<String> chunk = ids.subList(from, Math.min(ids.size(), from + IN_LIST));
            try (PreparedStatement ps = c.prepareStatement("SELECT " + columns + " FROM " + tables.generation(generation)
                    + " WHERE tenant = ? AND id IN (" + placeholders(chunk.size()) + ")")) {
                ps.setString(1, tenant);
                for (int i = 0; i < chunk.size(); i++) {
                    ps.setString(i + 2, chunk.get(i));
                }
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        each.accept(rs);
                    }
                }
            }
        }
    }

    private static String placeholders(int n) {
        return String.join(", ", java.util.Collections.nCopies(n, "?"));
    }

    static void execute(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    /** Receives a new generation's rows, in ascending key order. */
    interface Loader extends AutoCloseable {
        void add(VectorRecord r, String modelFingerprint) throws SQLException;

        /** Sends what is buffered; returns the rows loaded in all. */
        long finish() throws SQLException;

        /** Gives up; the caller rolls the transaction back. */
        @Override
        void close();
    }

    /** Batched inserts through a prepared statement, each row's update count checked. */
    static final class InsertLoader implements Loader {
        private final Dialect dialect;
        private final PreparedStatement insert;
        private final long generation;
        private int pending;
        private long loaded;

        InsertLoader(Dialect dialect, Connection c, long generation) throws SQLException {
            this.dialect = dialect;
            this.generation = generation;
            this.insert = c.prepareStatement(dialect.insertSql(generation));
        }

        @Override
        public void add(VectorRecord r, String modelFingerprint) throws SQLException {
            dialect.bindRecord(insert, r, modelFingerprint);
            insert.addBatch();
            if (++pending >= dialect.options.batchSize()) {
                flush();
            }
        }

        private void flush() throws SQLException {
            if (pending == 0) {
                return;
            }
            int[] counts = insert.executeBatch();
            loaded += Batches.requireEach(counts, 1, "insert into generation " + generation);
            pending = 0;
        }

        @Override
        public long finish() throws SQLException {
            flush();
            return loaded;
        }

        @Override
        public void close() {
            try {
                insert.close();
            } catch (SQLException ignored) {
                // The transaction is rolled back by the caller; a failing close changes nothing.
            }
        }
    }
}
