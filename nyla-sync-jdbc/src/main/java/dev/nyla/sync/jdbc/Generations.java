package dev.nyla.sync.jdbc;

import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.Similarity;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.StoreException;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A store's generations in the database: the store row (the active generation and the activation history),
 * the generations table (one row per generation, {@code committed} or {@code dropping}), activation, rollback
 * and deletion, and the dropping of a deleted generation's table once no stream of this store reads it.
 */
final class Generations {
    private static final Logger LOG = LoggerFactory.getLogger(Generations.class);
    private static final String GENERATION_COLUMNS = "id, version, label, model_id, model_dimension, model_similarity, "
            + "model_normalized, model_fingerprint, record_count, committed_at, attributes";

    private final Transactions tx;
    private final Tables tables;
    private final Dialect dialect;
    private final String location;
    /** Opened by a reader: drops nothing, the writer's job. */
    private final boolean readOnly;
    /** Committed generations never change, so their rows are cached by id. */
    private final Map<Long, Generation> cache = new ConcurrentHashMap<>();
    /** Open streams per generation id; guarded by itself. */
    private final Map<Long, Integer> pins = new HashMap<>();
    private volatile boolean closed;

    Generations(Transactions tx, Dialect dialect, String location, boolean readOnly) {
        this.tx = tx;
        this.tables = dialect.tables;
        this.dialect = dialect;
        this.location = location;
        this.readOnly = readOnly;
    }

    /** Remembers a generation just committed, which never changes. */
    void cache(Generation g) {
        cache.putIfAbsent(g.id(), g);
    }

    /** Stops dropping tables when the last stream of a closed store ends. */
    void close() {
        closed = true;
    }

    /** The active generation, if any. */
    Optional<Generation> active() throws IOException {
        return tx.read("read the active generation", c -> {
            Long id = activeId(c);
            return id == null ? Optional.<Generation>empty() : Optional.of(generation(c, id));
        });
    }

    /** The committed generations, newest first. */
    List<Generation> list() throws IOException {
        return tx.read("list generations", c -> {
            List<Generation> out = new ArrayList<>();
            try (Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT " + GENERATION_COLUMNS + " FROM " + tables.generations()
                         + " WHERE state = 'committed' ORDER BY id DESC")) {
                while (rs.next()) {
                    Generation g = generationRow(rs);
                    cache.putIfAbsent(g.id(), g);
                    out.add(g);
                }
            }
            return out;
        });
    }

    /** Makes {@code generationId} the active generation, recording the one it replaces in the history. */
    void activate(long generationId) throws IOException {
        tx.write("activate generation " + generationId, c -> {
            StoreRow row = storeRow(c);
            if (findGeneration(c, generationId).isEmpty()) {
                throw new StoreException(location + ": cannot activate generation " + generationId
                        + ": it does not exist (kept: " + committedIds(c) + ")");
            }
            if (row.active != null && row.active == generationId) {
                return null;
            }
            List<Long> history = new ArrayList<>(row.history);
            history.remove(generationId);
            if (row.active != null) {
                history.remove(row.active);
                history.add(0, row.active);
            }
            updateStoreRow(c, generationId, history);
            return null;
        });
    }

    /** Activates the most recent earlier generation that is still kept. */
    Generation rollback() throws IOException {
        return tx.write("roll back", c -> {
            StoreRow row = storeRow(c);
            List<Long> remaining = new ArrayList<>(row.history);
            while (!remaining.isEmpty()) {
                long candidate = remaining.remove(0);
                Optional<Generation> previous = findGeneration(c, candidate);
                if (previous.isPresent()) {
                    updateStoreRow(c, candidate, remaining);
                    return previous.get();
                }
            }
            throw new StoreException(location + ": cannot roll back: no earlier generation is kept");
        });
    }

    /** Marks a generation that is not active for dropping, and drops it unless a stream still reads it. */
    void delete(long generationId) throws IOException {
        tx.write("delete generation " + generationId, c -> {
            StoreRow row = storeRow(c);
            if (row.active != null && row.active == generationId) {
                throw new StoreException(location + ": cannot delete generation " + generationId + ": it is active");
            }
            if (findGeneration(c, generationId).isEmpty()) {
                throw new StoreException(location + ": cannot delete generation " + generationId
                        + ": it does not exist");
            }
            try (PreparedStatement ps = c.prepareStatement("UPDATE " + tables.generations()
                    + " SET state = 'dropping' WHERE id = ?")) {
                ps.setLong(1, generationId);
                Transactions.requireOneRow(ps.executeUpdate(), "mark generation " + generationId + " for dropping");
            }
            if (row.history.contains(generationId)) {
                List<Long> history = new ArrayList<>(row.history);
                history.remove(generationId);
                updateStoreRow(c, row.active, history);
            }
            return null;
        });
        cache.remove(generationId);
        dropPendingGenerations();
    }

    /** Drops the tables of generations marked for dropping that no stream of this store reads. */
    void dropPendingGenerations() throws IOException {
        List<Long> pending = tx.read("list generations to drop", c -> {
            List<Long> ids = new ArrayList<>();
            try (Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT id FROM " + tables.generations() + " WHERE state = 'dropping'")) {
                while (rs.next()) {
                    ids.add(rs.getLong(1));
                }
            }
            return ids;
        });
        for (long id : pending) {
            tryDrop(id);
        }
    }

    /**
     * Drops a generation's table unless a stream of this store still reads it (it is dropped when that stream
     * closes) or another process holds it past the lock timeout (dropped by a later call).
     */
    private void tryDrop(long generationId) {
        if (readOnly) {
            return; // the writer's job
        }
        synchronized (pins) {
            if (pins.containsKey(generationId)) {
                return;
            }
        }
        try (Connection c = tx.dataSource().getConnection()) {
            Transactions.inTransaction(c, () -> {
                if (dialect instanceof PostgresDialect) {
                    Dialect.execute(c, "SET LOCAL lock_timeout = '2s'");
                }
                Dialect.execute(c, "DROP TABLE IF EXISTS " + tables.generation(generationId));
                try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + tables.generations()
                        + " WHERE id = ? AND state = 'dropping'")) {
                    ps.setLong(1, generationId);
                    ps.executeUpdate();
                }
                return null;
            });
        } catch (SQLException | IOException e) {
            LOG.info("{}: generation {}'s table is still in use; it is dropped later ({})", location, generationId,
                    e.getMessage());
        }
    }

    // ---- streams pin the generation they read ----------------------------------------------------------

    /** Pins the active generation so this store does not drop its table while a stream reads it. */
    Optional<Long> pinActive() throws IOException {
        for (int attempt = 0; ; attempt++) {
            Long active = tx.read("read the active generation", this::activeId);
            if (active == null) {
                return Optional.empty();
            }
            synchronized (pins) {
                pins.merge(active, 1, Integer::sum);
            }
            // Between reading and pinning, it may have been deactivated and marked for dropping.
            boolean kept = tx.read("check generation " + active, c -> findGeneration(c, active).isPresent());
            if (kept) {
                return Optional.of(active);
            }
            unpin(active);
            if (attempt >= Transactions.RETRIES) {
                throw new StoreException(location + ": the active generation kept changing while a stream was opened");
            }
        }
    }

    /** Releases a pin of {@link #pinActive}; the last one drops the generation when it was marked for dropping. */
    void unpin(long generation) {
        boolean last;
        synchronized (pins) {
            last = pins.merge(generation, -1, Integer::sum) == 0;
            if (last) {
                pins.remove(generation);
            }
        }
        if (last && !closed) {
            try {
                Boolean dropping = tx.read("check generation " + generation, c -> {
                    try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM " + tables.generations()
                            + " WHERE id = ? AND state = 'dropping'")) {
                        ps.setLong(1, generation);
                        try (ResultSet rs = ps.executeQuery()) {
                            return rs.next();
                        }
                    }
                });
                if (dropping) {
                    tryDrop(generation);
                }
            } catch (IOException e) {
                LOG.info("{}: generation {} is dropped later ({})", location, generation, e.getMessage());
            }
        }
    }

    // ---- rows of the store and generations tables --------------------------------------------------------

    /** The active generation, read on {@code c}; refuses {@code what} when none is active. */
    Generation requireActive(Connection c, String what) throws SQLException, IOException {
        Long active = activeId(c);
        if (active == null) {
            throw new StoreException(location + ": cannot " + what + " the active generation: none is active");
        }
        return generation(c, active);
    }

    private record StoreRow(Long active, List<Long> history) {
    }

    private StoreRow storeRow(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT active_generation, history FROM " + tables.store()
                     + " WHERE singleton = 1")) {
            if (!rs.next()) {
                throw new SQLException(tables.store() + ": expected one row but found none");
            }
            long active = rs.getLong(1);
            Long activeId = rs.wasNull() ? null : active;
            String history = rs.getString(2);
            List<Long> ids = new ArrayList<>();
            if (history != null && !history.isEmpty()) {
                for (String part : history.split(",")) {
                    ids.add(Long.parseLong(part));
                }
            }
            return new StoreRow(activeId, ids);
        }
    }

    private void updateStoreRow(Connection c, Long active, List<Long> history) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + tables.store()
                + " SET active_generation = ?, history = ? WHERE singleton = 1")) {
            if (active == null) {
                ps.setNull(1, java.sql.Types.BIGINT);
            } else {
                ps.setLong(1, active);
            }
            ps.setString(2, history.stream().map(String::valueOf).collect(Collectors.joining(",")));
            Transactions.requireOneRow(ps.executeUpdate(), "update " + tables.store());
        }
    }

    Long activeId(Connection c) throws SQLException {
        return storeRow(c).active();
    }

    /** The committed generation {@code id}, which must exist (the active one, or one just looked up). */
    Generation generation(Connection c, long id) throws SQLException {
        Generation cached = cache.get(id);
        if (cached != null) {
            return cached;
        }
        return findGeneration(c, id).orElseThrow(() -> new SQLException(tables.generations()
                + ": expected committed generation " + id + " but found none"));
    }

    Optional<Generation> findGeneration(Connection c, long id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + GENERATION_COLUMNS + " FROM " + tables.generations()
                + " WHERE id = ? AND state = 'committed'")) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                Generation g = generationRow(rs);
                cache.putIfAbsent(id, g);
                return Optional.of(g);
            }
        }
    }

    List<Long> committedIds(Connection c) throws SQLException {
        List<Long> ids = new ArrayList<>();
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT id FROM " + tables.generations()
                     + " WHERE state = 'committed' ORDER BY id DESC")) {
            while (rs.next()) {
                ids.add(rs.getLong(1));
            }
        }
        return ids;
    }

    private Generation generationRow(ResultSet rs) throws SQLException {
        long id = rs.getLong(1);
        String subject = tables.generations() + " row " + id;
        try {
            EmbeddingModel model = new EmbeddingModel(rs.getString(4), rs.getInt(5),
                    Similarity.fromWireName(rs.getString(6)), rs.getBoolean(7), rs.getString(8));
            return new Generation(id, rs.getLong(2), rs.getString(3), model, rs.getLong(9),
                    Instant.parse(rs.getString(10)), Codec.stringMap(rs.getString(11), subject + " attributes"));
        } catch (RuntimeException e) {
            throw new SQLException(subject + ": " + e.getMessage(), e);
        }
    }
}
