package dev.nyla.sync.jdbc;

import dev.nyla.sync.DimensionMismatchException;
import dev.nyla.sync.RecordKeys;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.GenerationSpec;
import dev.nyla.sync.store.GenerationWriter;
import dev.nyla.sync.store.StoreException;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;

/**
 * Writes one generation inside one database transaction, held from {@link #start} to {@link #commit()}:
 * the generation's row, its table, its rows, its key and vector indexes become visible together at commit,
 * and a failure, an {@link #abort()} or a killed process rolls all of it back, leaving nothing to clean up.
 *
 * <p>A fresh generation is bulk-loaded (binary {@code COPY} on PostgreSQL, batched inserts otherwise) and
 * keyed afterwards. A generation built on a base starts as an {@code INSERT ... SELECT} copy of the base's
 * rows; the delta's adds and deletes are then applied in batches.
 */
final class JdbcGenerationWriter implements GenerationWriter {
    private enum State { OPEN, COMMITTED, ABORTED }

    private final JdbcVectorStore store;
    private final Dialect dialect;
    private final GenerationSpec spec;
    private final Generation base;
    private final long id;
    private final Connection connection;
    private final Dialect.Loader loader;
    private final PreparedStatement upsert;
    private final PreparedStatement delete;
    private int pendingUpserts;
    private int pendingDeletes;
    private long added;
    private long committedCount = -1;
    private String lastTenant;
    private String lastId;
    private State state = State.OPEN;

    private JdbcGenerationWriter(JdbcVectorStore store, GenerationSpec spec, Generation base, long id,
                                 Connection connection, Dialect.Loader loader, PreparedStatement upsert,
                                 PreparedStatement delete) {
        this.store = store;
        this.dialect = store.sqlDialect();
        this.spec = spec;
        this.base = base;
        this.id = id;
        this.connection = connection;
        this.loader = loader;
        this.upsert = upsert;
        this.delete = delete;
    }

    static JdbcGenerationWriter start(JdbcVectorStore store, GenerationSpec spec, Generation base) throws IOException {
        Dialect dialect = store.sqlDialect();
        Tables tables = store.tables();
        Connection c = null;
        try {
            c = store.dataSource().getConnection();
            c.setAutoCommit(false);
            long id;
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + tables.generations()
                    + " (state, version, label, model_id, model_dimension, model_similarity, model_normalized, "
                    + "model_fingerprint, record_count, committed_at, attributes) "
                    + "VALUES ('writing', ?, ?, ?, ?, ?, ?, ?, 0, '', ?) RETURNING id")) {
                ps.setLong(1, spec.version());
                ps.setString(2, spec.label());
                ps.setString(3, spec.model().id());
                ps.setInt(4, spec.model().dimension());
                ps.setString(5, spec.model().similarity().wireName());
                ps.setBoolean(6, spec.model().normalized());
                ps.setString(7, spec.model().fingerprint());
                ps.setString(8, Codec.json(spec.attributes()));
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    id = rs.getLong(1);
                }
            }
            dialect.createGenerationTable(c, id, spec.model());
            if (base == null) {
                return new JdbcGenerationWriter(store, spec, null, id, c, dialect.loader(c, id, spec.model()), null, null);
            }
            Dialect.execute(c, "INSERT INTO " + tables.generation(id) + " (" + Dialect.COLUMNS + ") SELECT "
                    + Dialect.COLUMNS + " FROM " + tables.generation(base.id()));
            dialect.addKey(c, id);
            PreparedStatement upsert = c.prepareStatement(dialect.upsertSql(id));
            PreparedStatement delete = c.prepareStatement("DELETE FROM " + tables.generation(id)
                    + " WHERE tenant = ? AND id = ?");
            return new JdbcGenerationWriter(store, spec, base, id, c, null, upsert, delete);
        } catch (SQLException | RuntimeException e) {
            if (c != null) {
                Transactions.rollbackQuietly(c);
                Transactions.restoreAutoCommit(c);
                closeQuietly(c);
            }
            throw new StoreException(store.location() + ": start a new generation"
                    + (base == null ? "" : " on base generation " + base.id()) + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void add(VectorRecord record) throws IOException {
        ensureOpen();
        requireAfterLast(record.tenant(), record.id());
        if (record.vector().length != spec.model().dimension()) {
            throw new DimensionMismatchException("record " + record.tenant() + "/" + record.id(),
                    spec.model().dimension(), record.vector().length);
        }
        dialect.requireStorable(record);
        lastTenant = record.tenant();
        lastId = record.id();
        try {
            if (loader != null) {
                loader.add(record, spec.model().fingerprint());
            } else {
                dialect.bindRecord(upsert, record, spec.model().fingerprint());
                upsert.addBatch();
                if (++pendingUpserts >= dialect.options.batchSize()) {
                    flushUpserts();
                }
            }
            added++;
        } catch (SQLException e) {
            throw failure("write record " + record.tenant() + "/" + record.id(), e);
        }
    }

    @Override
    public void delete(String tenant, String recordId) throws IOException {
        ensureOpen();
        RecordKeys.requireValid(tenant, recordId);
        requireAfterLast(tenant, recordId);
        lastTenant = tenant;
        lastId = recordId;
        if (base == null) {
            return; // nothing inherited, so nothing to delete
        }
        try {
            delete.setString(1, tenant);
            delete.setString(2, recordId);
            delete.addBatch();
            if (++pendingDeletes >= dialect.options.batchSize()) {
                flushDeletes();
            }
        } catch (SQLException e) {
            throw failure("delete record " + tenant + "/" + recordId, e);
        }
    }

    private void requireAfterLast(String tenant, String recordId) {
        if (lastTenant != null && RecordKeys.compare(lastTenant, lastId, tenant, recordId) >= 0) {
            throw new IllegalArgumentException("record key " + tenant + "/" + recordId + ": expected a key after "
                    + lastTenant + "/" + lastId + " (keys come in ascending order, each once)");
        }
    }

    private void flushUpserts() throws SQLException {
        if (pendingUpserts > 0) {
            Batches.requireEach(upsert.executeBatch(), 1, "upsert into generation " + id);
            pendingUpserts = 0;
        }
    }

    private void flushDeletes() throws SQLException {
        if (pendingDeletes > 0) {
            Batches.requireDeletes(delete.executeBatch(), "delete from generation " + id);
            pendingDeletes = 0;
        }
    }

    @Override
    public long recordCount() {
        if (base == null || state != State.OPEN) {
            return committedCount >= 0 ? committedCount : added;
        }
        try {
            flushUpserts();
            flushDeletes();
            return countRows();
        } catch (SQLException e) {
            throw new java.io.UncheckedIOException(failure("count the records", e));
        }
    }

    private long countRows() throws SQLException {
        try (Statement s = connection.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM " + store.tables().generation(id))) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Override
    public Generation commit() throws IOException {
        ensureOpen();
        try {
            long records;
            if (loader != null) {
                records = loader.finish();
                if (records != added) {
                    throw new SQLException("expected " + added + " rows loaded but was " + records);
                }
                dialect.addKey(connection, id);
            } else {
                flushUpserts();
                flushDeletes();
                records = countRows();
            }
            dialect.buildVectorIndex(connection, id, spec.model());
            if (dialect instanceof PostgresDialect) {
                // Planner statistics now, so the first searches already choose good plans.
                Dialect.execute(connection, "ANALYZE " + store.tables().generation(id));
            }
            Instant committedAt = Instant.now();
            try (PreparedStatement ps = connection.prepareStatement("UPDATE " + store.tables().generations()
                    + " SET state = 'committed', record_count = ?, committed_at = ? WHERE id = ? AND state = 'writing'")) {
                ps.setLong(1, records);
                ps.setString(2, committedAt.toString());
                ps.setLong(3, id);
                Transactions.requireOneRow(ps.executeUpdate(), "commit generation " + id);
            }
            connection.commit();
            state = State.COMMITTED;
            committedCount = records;
            release();
            Generation g = new Generation(id, spec.version(), spec.label(), spec.model(), records, committedAt,
                    spec.attributes());
            store.cacheGeneration(g);
            return g;
        } catch (SQLException | RuntimeException e) {
            throw failure("commit", e);
        }
    }

    @Override
    public void abort() {
        if (state != State.OPEN) {
            return;
        }
        state = State.ABORTED;
        if (loader != null) {
            loader.close();
        }
        Transactions.rollbackQuietly(connection);
        release();
    }

    @Override
    public void close() {
        abort();
    }

    private StoreException failure(String what, Exception e) {
        abort();
        return new StoreException(store.location() + ": generation " + id + " (version " + spec.version() + "): "
                + what + " failed, nothing of it is kept: " + e.getMessage(), e);
    }

    private void ensureOpen() throws StoreException {
        if (state != State.OPEN) {
            throw new StoreException(store.location() + ": the writer of generation " + id + " was already "
                    + (state == State.COMMITTED ? "committed" : "aborted"));
        }
    }

    private void release() {
        for (AutoCloseable s : new AutoCloseable[] {upsert, delete}) {
            if (s != null) {
                try {
                    s.close();
                } catch (Exception ignored) {
                    // Closing the connection releases it anyway.
                }
            }
        }
        Transactions.restoreAutoCommit(connection);
        closeQuietly(connection);
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException ignored) {
            // Nothing more can be done with it.
        }
    }
}
