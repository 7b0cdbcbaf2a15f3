package dev.nyla.sync.jdbc;

import dev.nyla.sync.ContentHash;
import dev.nyla.sync.DimensionMismatchException;
import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.RecordKeys;
import dev.nyla.sync.Similarity;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.IntegrityException;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.GenerationSpec;
import dev.nyla.sync.store.GenerationWriter;
import dev.nyla.sync.store.IntegrityReport;
import dev.nyla.sync.store.InventoryEntry;
import dev.nyla.sync.store.SearchHit;
import dev.nyla.sync.store.SearchRequest;
import dev.nyla.sync.store.ReadOnlyVectorStore;
import dev.nyla.sync.store.StoreException;
import dev.nyla.sync.store.StoreStats;
import dev.nyla.sync.store.TenantLocking;
import dev.nyla.sync.store.VectorStore;
import dev.nyla.sync.store.WriteResult;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link VectorStore} in a relational database reached through JDBC: PostgreSQL (plain, or with pgvector
 * and HNSW) or SQLite, the embedded default.
 *
 * <h2>Layout</h2>
 * A store is three kinds of tables under one {@linkplain JdbcOptions#tablePrefix() prefix}:
 * {@code <prefix>_store} (one row: the active generation and the activation history),
 * {@code <prefix>_generations} (one row per generation: version, label, model, record count, state), and
 * one table {@code <prefix>_g<id>} per generation with the columns {@code tenant}, {@code id}, {@code text},
 * {@code metadata} (JSON), {@code content_hash}, {@code model_fingerprint} and {@code vector}, keyed by
 * {@code (tenant, id)}.
 *
 * <h2>Generations</h2>
 * A new generation is written in <em>one transaction</em>: its table is created, bulk-loaded (PostgreSQL's
 * binary {@code COPY} where the server supports it), keyed and indexed, and its row inserted, all committed
 * together; a failure or a killed process leaves nothing behind. {@link #activate} flips the active
 * generation in one short transaction that locks the store row, so activations from several application
 * instances serialize instead of losing one another's history. A search reads the active generation and
 * its rows in one snapshot, so it sees one whole generation. A deleted generation's table is dropped once no
 * inventory stream of this store reads it any more.
 *
 * <h2>Connections</h2>
 * Connections come from a {@link DataSource} the application supplies (its own pool: HikariCP, the
 * container's, ...); each operation borrows one and returns it, and closing the store leaves the data
 * source open. Locations opened through {@link dev.nyla.sync.store.VectorStores}
 * ({@code jdbc:postgresql://...}, {@code jdbc:sqlite:...}) and {@link #openEmbedded} get a HikariCP pool of
 * up to 10 connections over the driver, which the store closes with itself. The JDBC driver
 * ({@code org.postgresql:postgresql}, {@code org.xerial:sqlite-jdbc}) is the application's dependency.
 *
 * <h2>Tenant locks</h2>
 * {@link #lockTenant} is the repair lock the {@link dev.nyla.sync.reconcile.Reconciler} takes so that two
 * application instances never repair the same tenant at once. On PostgreSQL it is a session-level advisory
 * lock held on a connection of its own (so a pool lends one connection per tenant being repaired), keyed by
 * schema, prefix and tenant, so that stores under other prefixes never wait for it. On a SQLite file opened
 * through {@link #openEmbedded} or a {@code jdbc:sqlite:<file>} location it is a byte-range lock in
 * {@code <file>.nyla-locks}; on a SQLite data source of unknown file it does nothing (the reconciler's
 * in-process lock still serializes one JVM).
 */
public final class JdbcVectorStore implements VectorStore, TenantLocking {
    /** The version of the table layout, kept in the store row. */
    static final int FORMAT = 1;

    private static final Logger LOG = LoggerFactory.getLogger(JdbcVectorStore.class);
    private static final String GENERATION_COLUMNS = "id, version, label, model_id, model_dimension, model_similarity, "
            + "model_normalized, model_fingerprint, record_count, committed_at, attributes";
    /** Times a search is retried when the generation it started on was dropped under it. */
    private static final int RETRIES = 5;
    /** Rows per page of tenant and inventory streams, and ids per {@code IN} list. */
    private static final int PAGE = 1_000;
    private static final int IN_LIST = 500;
    private static final Comparator<Scored> BEST_FIRST =
            Comparator.comparingDouble((Scored s) -> -s.score).thenComparing(s -> s.id, RecordKeys.ORDER);

    private final DataSource dataSource;
    private final String location;
    private final JdbcOptions options;
    private final Tables tables;
    private final Dialect dialect;
    /** The SQLite database file, when known: its sidecar file holds the tenant locks. */
    private final Optional<Path> file;
    /** Opened by {@link #openReadOnly}: creates nothing and drops nothing (wrapped so that it writes nothing). */
    private final boolean readOnly;
    /** Committed generations never change, so their rows are cached by id. */
    private final Map<Long, Generation> generationCache = new ConcurrentHashMap<>();
    /** Open streams per generation id; guarded by itself. */
    private final Map<Long, Integer> pins = new HashMap<>();
    private volatile boolean closed;

    private JdbcVectorStore(DataSource dataSource, String location, JdbcOptions options, Tables tables, Dialect dialect,
                            Optional<Path> file, boolean readOnly) {
        this.readOnly = readOnly;
        this.dataSource = dataSource;
        this.location = location;
        this.options = options;
        this.tables = tables;
        this.dialect = dialect;
        this.file = file;
    }

    /** Opens (creating on demand) the store with the default options in the database of {@code dataSource}. */
    public static JdbcVectorStore open(DataSource dataSource) throws IOException {
        return open(dataSource, JdbcOptions.DEFAULTS);
    }

    /**
     * Opens (creating on demand, unless {@link JdbcOptions#createSchema()} is off) the store described by
     * {@code options} in the database of {@code dataSource}.
     *
     * @throws StoreException when the database cannot be reached, is of an unsupported kind, holds a store of
     *         another dialect or format under the prefix, or lacks a table that may not be created
     */
    public static JdbcVectorStore open(DataSource dataSource, JdbcOptions options) throws IOException {
        return open(dataSource, options, "jdbc:" + dataSource.getClass().getSimpleName() + "/" + options.tablePrefix());
    }

    /**
     * Opens (creating on demand) a store in the SQLite database file {@code file}: the zero-setup default, on a
     * connection pool the store closes with itself. Needs {@code org.xerial:sqlite-jdbc} on the class path.
     *
     * @throws StoreException as {@link #open(DataSource, JdbcOptions)}, or when the SQLite driver is missing
     */
    public static JdbcVectorStore openEmbedded(Path file) throws IOException {
        return openEmbedded(file, JdbcOptions.DEFAULTS);
    }

    /** As {@link #openEmbedded(Path)}, with options. */
    public static JdbcVectorStore openEmbedded(Path file, JdbcOptions options) throws IOException {
        String url = "jdbc:sqlite:" + file.toAbsolutePath();
        Optional<String> missingDriver = JdbcDrivers.missing(url, url);
        if (missingDriver.isPresent()) {
            throw new StoreException(missingDriver.get());
        }
        return StorePool.open(SqliteDataSources.of(url, false), url, false, StorePool.DEFAULT_MAX_CONNECTIONS,
                pool -> open(pool, options, url, Optional.of(file.toAbsolutePath())));
    }

    static JdbcVectorStore open(DataSource dataSource, JdbcOptions options, String location) throws IOException {
        return open(dataSource, options, location, Optional.empty());
    }

    /** Opens the store; {@code file} is the SQLite database's file when the caller knows it. */
    static JdbcVectorStore open(DataSource dataSource, JdbcOptions options, String location, Optional<Path> file)
            throws IOException {
        return open(dataSource, options, location, file, false);
    }

    /**
     * Opens the existing store for reading only: no table is created and no generation a writer marked for
     * dropping is dropped, so a database user with read access is enough (pass a data source whose
     * connections are read-only, such as a SQLite one opened with {@code mode=ro}). Writes are refused with a
     * {@link dev.nyla.sync.store.ReadOnlyStoreException}.
     *
     * @throws StoreException when the database holds no store under the options' prefix, or cannot be read
     */
    public static ReadOnlyVectorStore openReadOnly(DataSource dataSource, JdbcOptions options) throws IOException {
        return openReadOnly(dataSource, options, "jdbc:" + dataSource.getClass().getSimpleName() + "/"
                + options.tablePrefix());
    }

    static ReadOnlyVectorStore openReadOnly(DataSource dataSource, JdbcOptions options, String location)
            throws IOException {
        return ReadOnlyVectorStore.of(open(dataSource, options.withCreateSchema(false), location, Optional.empty(), true));
    }

    private static JdbcVectorStore open(DataSource dataSource, JdbcOptions options, String location, Optional<Path> file,
                                        boolean readOnly) throws IOException {
        Objects.requireNonNull(dataSource, "dataSource");
        Objects.requireNonNull(options, "options");
        Tables tables = new Tables(options.schema(), options.tablePrefix());
        Dialect dialect;
        try (Connection c = dataSource.getConnection()) {
            dialect = chooseDialect(c, location, options, tables);
            if (options.createSchema() && !storeTableExists(c, tables, dialect)) {
                if (dialect instanceof SqliteDialect) {
                    SqliteDialect.enableWal(c);
                }
                inTransaction(c, () -> {
                    dialect.createMetaTables(c);
                    return null;
                });
            }
            checkStoreRow(c, location, tables, dialect, options);
        } catch (SQLException e) {
            throw new StoreException(location + ": cannot open the store: " + e.getMessage(), e);
        }
        JdbcVectorStore store = new JdbcVectorStore(dataSource, location, options, tables, dialect,
                dialect instanceof SqliteDialect ? file : Optional.empty(), readOnly);
        if (!readOnly) {
            store.dropPendingGenerations();
        }
        LOG.debug("{}: opened, dialect {}", location, dialect.kind().wireName());
        return store;
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

    /** The dialect this store speaks (detected, recorded at creation, or forced). */
    public JdbcDialect dialect() {
        return dialect.kind();
    }

    /** The options this store was opened with. */
    public JdbcOptions options() {
        return options;
    }

    /** Whether new generations are bulk-loaded with {@code COPY ... FROM STDIN (FORMAT BINARY)}. */
    public boolean usesCopy() {
        return dialect instanceof PostgresDialect p && p.usesCopy();
    }

    /**
     * The qualified name of generation {@code generationId}'s table, for operators and tests that inspect
     * the database directly.
     */
    public String generationTable(long generationId) {
        return tables.generation(generationId);
    }

    @Override
    public String location() {
        return location;
    }

    // ---- tenant locks ------------------------------------------------------------------------------------

    /**
     * Takes the repair lock of {@code tenant} (any string, the empty one included: the reconciler uses it for
     * store-wide steps), as the class description says. PostgreSQL: {@code SET lock_timeout} and
     * {@code pg_advisory_lock} on a connection of its own ({@code pg_try_advisory_lock} for a zero timeout);
     * closing the handle unlocks, resets the timeout and gives the connection back. Closing twice does nothing.
     *
     * @throws dev.nyla.sync.store.LockTimeoutException naming the tenant and this store when another holder
     *         kept the lock for {@code timeout}
     */
    @Override
    public Closeable lockTenant(String tenant, Duration timeout) throws IOException {
        ensureOpen();
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("lock timeout: expected >= 0 but was " + timeout);
        }
        if (dialect instanceof PostgresDialect) {
            return TenantLocks.advisory(dataSource, tables.schema(), tables.prefix(), tenant, timeout, location);
        }
        if (file.isPresent()) {
            return TenantLocks.sidecar(file.get(), tables.prefix(), tenant, timeout, location);
        }
        return () -> {
        };
    }

    // ---- generations -------------------------------------------------------------------------------------

    @Override
    public Optional<Generation> activeGeneration() throws IOException {
        ensureOpen();
        return read("read the active generation", c -> {
            Long id = activeId(c);
            return id == null ? Optional.<Generation>empty() : Optional.of(generation(c, id));
        });
    }

    @Override
    public List<Generation> generations() throws IOException {
        ensureOpen();
        return read("list generations", c -> {
            List<Generation> out = new ArrayList<>();
            try (Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT " + GENERATION_COLUMNS + " FROM " + tables.generations()
                         + " WHERE state = 'committed' ORDER BY id DESC")) {
                while (rs.next()) {
                    Generation g = generationRow(rs);
                    generationCache.putIfAbsent(g.id(), g);
                    out.add(g);
                }
            }
            return out;
        });
    }

    @Override
    public GenerationWriter newGeneration(GenerationSpec spec) throws IOException {
        ensureOpen();
        requireSupported(spec.model());
        return JdbcGenerationWriter.start(this, spec, null);
    }

    @Override
    public GenerationWriter newGeneration(GenerationSpec spec, long baseGenerationId) throws IOException {
        ensureOpen();
        requireSupported(spec.model());
        Generation base = read("read base generation " + baseGenerationId,
                c -> findGeneration(c, baseGenerationId).orElse(null));
        if (base == null) {
            throw new StoreException(location + ": base generation " + baseGenerationId + " does not exist");
        }
        if (!base.model().isCompatibleWith(spec.model())) {
            throw new StoreException(location + ": base generation " + baseGenerationId, "model",
                    spec.model().id() + " (" + spec.model().fingerprint() + ")",
                    base.model().id() + " (" + base.model().fingerprint() + ")");
        }
        return JdbcGenerationWriter.start(this, spec, base);
    }

    private void requireSupported(EmbeddingModel model) throws StoreException {
        if (dialect.kind() == JdbcDialect.PGVECTOR && model.dimension() > PostgresDialect.VECTOR_MAX_DIMENSION) {
            throw new StoreException(location + ": model " + model.id(), "dimension",
                    "at most " + PostgresDialect.VECTOR_MAX_DIMENSION + " (pgvector's vector type)", model.dimension());
        }
    }

    @Override
    public void activate(long generationId) throws IOException {
        ensureOpen();
        write("activate generation " + generationId, c -> {
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

    @Override
    public Generation rollback() throws IOException {
        ensureOpen();
        return write("roll back", c -> {
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

    @Override
    public void deleteGeneration(long generationId) throws IOException {
        ensureOpen();
        write("delete generation " + generationId, c -> {
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
                requireOneRow(ps.executeUpdate(), "mark generation " + generationId + " for dropping");
            }
            if (row.history.contains(generationId)) {
                List<Long> history = new ArrayList<>(row.history);
                history.remove(generationId);
                updateStoreRow(c, row.active, history);
            }
            return null;
        });
        generationCache.remove(generationId);
        dropPendingGenerations();
    }

    /** Drops the tables of generations marked for dropping that no stream of this store reads. */
    private void dropPendingGenerations() throws IOException {
        List<Long> pending = read("list generations to drop", c -> {
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
        try (Connection c = dataSource.getConnection()) {
            inTransaction(c, () -> {
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

    // ---- search ------------------------------------------------------------------------------------------

    private record Scored(String id, float score, String text, Map<String, String> metadata) {
    }

    @Override
    public List<SearchHit> search(SearchRequest request) throws IOException {
        ensureOpen();
        return read("search tenant " + request.tenant(), c -> {
            Long active = activeId(c);
            if (active == null) {
                return List.<SearchHit>of();
            }
            Generation g = generation(c, active);
            if (request.vector().length != g.model().dimension()) {
                throw new DimensionMismatchException("query for " + location, g.model().dimension(),
                        request.vector().length);
            }
            List<Scored> best = databaseOrders(g, request) ? candidateSearch(c, g, request, null)
                    : exactSearch(c, g, request);
            List<SearchHit> hits = new ArrayList<>(best.size());
            for (Scored s : best) {
                hits.add(new SearchHit(request.tenant(), s.id, s.score, s.text, s.metadata));
            }
            return hits;
        });
    }

    /**
     * Scores every record of the tenant (that passes the filter) in the JVM, keeping the best k; then reads
     * the text and metadata of those k only. Both statements run in one snapshot.
     */
    private List<Scored> exactSearch(Connection c, Generation g, SearchRequest request) throws SQLException {
        Similarity similarity = g.model().similarity();
        Comparator<Scored> worstFirst = BEST_FIRST.reversed();
        PriorityQueue<Scored> top = new PriorityQueue<>(request.k() + 1, worstFirst);
        String table = tables.generation(g.id());
        try (PreparedStatement ps = c.prepareStatement("SELECT id, " + dialect.vectorColumn() + " FROM " + table
                + " WHERE tenant = ?" + dialect.filterCondition(request.filter()))) {
            ps.setFetchSize(PAGE);
            ps.setString(1, request.tenant());
            dialect.bindFilter(ps, 2, request.filter());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String id = rs.getString(1);
                    float[] v = dialect.readVector(rs, 2, request.tenant() + "/" + id);
                    Scored candidate = new Scored(id, similarity.score(request.vector(), v), null, null);
                    if (top.size() < request.k()) {
                        top.add(candidate);
                    } else if (worstFirst.compare(candidate, top.peek()) > 0) {
                        top.poll();
                        top.add(candidate);
                    }
                }
            }
        }
        List<Scored> best = new ArrayList<>(top);
        best.sort(BEST_FIRST);
        Map<String, String[]> content = new HashMap<>();
        selectByIds(c, g.id(), "id, text, metadata", request.tenant(), best.stream().map(Scored::id).toList(),
                rs -> content.put(rs.getString(1), new String[] {rs.getString(2), rs.getString(3)}));
        List<Scored> out = new ArrayList<>(best.size());
        for (Scored s : best) {
            String[] textAndMetadata = content.get(s.id);
            if (textAndMetadata == null) {
                throw new SQLException(table + ": record " + request.tenant() + "/" + s.id
                        + " vanished within one snapshot");
            }
            out.add(new Scored(s.id, s.score, textAndMetadata[0],
                    Codec.stringMap(textAndMetadata[1], "metadata of " + request.tenant() + "/" + s.id)));
        }
        return out;
    }

    /**
     * pgvector: the database orders the tenant's records by distance and returns {@code k × overFetch}
     * candidates, through the HNSW index (with an iterative scan, so a tenant or metadata filter still yields
     * enough rows) or, for tenants of at most {@link JdbcOptions#exactSearchThreshold()} records, by an exact
     * sort; the candidates are then re-scored exactly in the JVM on the API's similarity scale, which also
     * settles ties by id.
     */
    private List<Scored> candidateSearch(Connection c, Generation g, SearchRequest request, List<String> plan)
            throws SQLException {
        String table = tables.generation(g.id());
        int candidates = (int) Math.min(100_000L, Math.max((long) request.k() * options.overFetch(), request.k() + 32L));
        boolean exact;
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM (SELECT 1 FROM " + table
                + " WHERE tenant = ?" + dialect.filterCondition(request.filter()) + " LIMIT ?) AS limited")) {
            ps.setString(1, request.tenant());
            int next = dialect.bindFilter(ps, 2, request.filter());
            ps.setLong(next, options.exactSearchThreshold() + 1L);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                exact = rs.getLong(1) <= options.exactSearchThreshold();
            }
        }
        if (!exact) {
            // SET LOCAL: these settings end with the transaction, whatever connection pool the store sits on.
            Dialect.execute(c, "SET LOCAL hnsw.ef_search = " + Math.min(1_000, Math.max(options.efSearch(), candidates)));
            if (((PostgresDialect) dialect).hasIterativeScan()) {
                Dialect.execute(c, "SET LOCAL hnsw.iterative_scan = relaxed_order");
            }
        }
        // The exact sort breaks distance ties by id, so the k + 32 candidates are the right ones even then.
        String order = exact ? PostgresDialect.exactDistance(g.model()) + ", id"
                : PostgresDialect.distance(g.model());
        List<Scored> scored = new ArrayList<>();
        Similarity similarity = g.model().similarity();
        try (PreparedStatement ps = c.prepareStatement((plan != null ? "EXPLAIN " : "") + "SELECT id, text, metadata, "
                + dialect.vectorColumn() + " FROM " + table + " WHERE tenant = ?"
                + dialect.filterCondition(request.filter()) + " ORDER BY " + order + " LIMIT ?")) {
            ps.setString(1, request.tenant());
            int next = dialect.bindFilter(ps, 2, request.filter());
            dialect.bindVector(ps, next, request.vector());
            ps.setInt(next + 1, candidates);
            try (ResultSet rs = ps.executeQuery()) {
                while (plan != null && rs.next()) {
                    plan.add(rs.getString(1));
                }
                while (plan == null && rs.next()) {
                    String id = rs.getString(1);
                    String subject = request.tenant() + "/" + id;
                    float[] v = dialect.readVector(rs, 4, subject);
                    scored.add(new Scored(id, similarity.score(request.vector(), v), rs.getString(2),
                            Codec.stringMap(rs.getString(3), "metadata of " + subject)));
                }
            }
        }
        scored.sort(BEST_FIRST);
        return scored.size() > request.k() ? scored.subList(0, request.k()) : scored;
    }

    /**
     * The database's plan for {@code request}'s candidate query on pgvector (for operators and tests: which
     * index a search walks); empty for dialects that score in the JVM.
     */
    List<String> explainSearch(SearchRequest request) throws IOException {
        ensureOpen();
        return read("explain a search", c -> {
            Long active = activeId(c);
            List<String> plan = new ArrayList<>();
            if (active != null) {
                Generation g = generation(c, active);
                if (databaseOrders(g, request)) {
                    candidateSearch(c, g, request, plan);
                }
            }
            return plan;
        });
    }

    /**
     * Whether the database orders the candidates ({@link #candidateSearch}, pgvector with an HNSW index)
     * rather than the JVM scoring every record ({@link #exactSearch}). pgvector neither indexes nor finds
     * anything for an all-zero vector under cosine, so such queries are scored in the JVM.
     */
    private boolean databaseOrders(Generation g, SearchRequest request) {
        return dialect instanceof PostgresDialect p && p.hasVectorIndex(g.model())
                && !(g.model().similarity() == Similarity.COSINE && isZero(request.vector()));
    }

    private static boolean isZero(float[] v) {
        for (float f : v) {
            if (f != 0f) {
                return false;
            }
        }
        return true;
    }

    // ---- streams -----------------------------------------------------------------------------------------

    @Override
    public Stream<String> tenants() throws IOException {
        ensureOpen();
        Optional<Long> generation = pinActive();
        if (generation.isEmpty()) {
            return Stream.empty();
        }
        long g = generation.get();
        Pages<String> pages = new Pages<>(g, "tenants", after -> readPage(g,
                "SELECT DISTINCT tenant FROM " + tables.generation(g)
                        + (after == null ? "" : " WHERE tenant > ?") + " ORDER BY tenant LIMIT " + PAGE,
                after == null ? List.of() : List.of(after), rs -> rs.getString(1)), Function.identity());
        return pages.stream();
    }

    @Override
    public Stream<InventoryEntry> inventory(String tenant) throws IOException {
        ensureOpen();
        Objects.requireNonNull(tenant, "tenant");
        Optional<Long> generation = pinActive();
        if (generation.isEmpty()) {
            return Stream.empty();
        }
        long g = generation.get();
        Pages<InventoryEntry> pages = new Pages<>(g, "inventory of " + tenant, after -> readPage(g,
                "SELECT id, content_hash, model_fingerprint FROM " + tables.generation(g) + " WHERE tenant = ?"
                        + (after == null ? "" : " AND id > ?") + " ORDER BY id LIMIT " + PAGE,
                after == null ? List.of(tenant) : List.of(tenant, after),
                rs -> new InventoryEntry(rs.getString(1), rs.getString(2), rs.getString(3))), InventoryEntry::id);
        return pages.stream();
    }

    private interface RowReader<T> {
        T read(ResultSet rs) throws SQLException;
    }

    private interface PageReader<T> {
        List<T> read(String after) throws IOException;
    }

    private <T> List<T> readPage(long generation, String sql, List<String> params, RowReader<T> reader)
            throws IOException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.size(); i++) {
                ps.setString(i + 1, params.get(i));
            }
            List<T> page = new ArrayList<>(PAGE);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    page.add(reader.read(rs));
                }
            }
            return page;
        } catch (SQLException e) {
            if (dialect.isMissingTable(e)) {
                throw new StoreException(location + ": generation " + generation
                        + " was dropped by another process while it was being read", e);
            }
            throw new StoreException(location + ": read generation " + generation + ": " + e.getMessage(), e);
        }
    }

    /**
     * A stream read in key-ordered pages ({@code WHERE key > last ORDER BY key LIMIT n}), so that it holds
     * no connection or transaction between pages (a pool stays free, and the PGlite test server, which runs
     * one transaction at a time, is not blocked). Its generation is pinned until it closes, so this store
     * does not drop the table under it.
     */
    private final class Pages<T> implements Iterator<T> {
        private final long generation;
        private final String what;
        private final PageReader<T> reader;
        private final Function<T, String> key;
        private Iterator<T> page = List.<T>of().iterator();
        private String after;
        private boolean last;
        private boolean unpinned;

        Pages(long generation, String what, PageReader<T> reader, Function<T, String> key) {
            this.generation = generation;
            this.what = what;
            this.reader = reader;
            this.key = key;
        }

        Stream<T> stream() {
            return StreamSupport.stream(Spliterators.spliteratorUnknownSize(this,
                    Spliterator.ORDERED | Spliterator.NONNULL | Spliterator.DISTINCT), false).onClose(this::close);
        }

        @Override
        public boolean hasNext() {
            while (!page.hasNext() && !last) {
                List<T> next;
                try {
                    next = reader.read(after);
                } catch (IOException e) {
                    throw new UncheckedIOException(location + ": " + what, e);
                }
                last = next.size() < PAGE;
                if (!next.isEmpty()) {
                    after = key.apply(next.get(next.size() - 1));
                }
                page = next.iterator();
            }
            return page.hasNext();
        }

        @Override
        public T next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return page.next();
        }

        void close() {
            if (!unpinned) {
                unpinned = true;
                unpin(generation);
            }
        }
    }

    /** Pins the active generation so this store does not drop its table while a stream reads it. */
    private Optional<Long> pinActive() throws IOException {
        for (int attempt = 0; ; attempt++) {
            Long active = read("read the active generation", this::activeId);
            if (active == null) {
                return Optional.empty();
            }
            synchronized (pins) {
                pins.merge(active, 1, Integer::sum);
            }
            // Between reading and pinning, it may have been deactivated and marked for dropping.
            boolean kept = read("check generation " + active, c -> findGeneration(c, active).isPresent());
            if (kept) {
                return Optional.of(active);
            }
            unpin(active);
            if (attempt >= RETRIES) {
                throw new StoreException(location + ": the active generation kept changing while a stream was opened");
            }
        }
    }

    private void unpin(long generation) {
        boolean last;
        synchronized (pins) {
            last = pins.merge(generation, -1, Integer::sum) == 0;
            if (last) {
                pins.remove(generation);
            }
        }
        if (last && !closed) {
            try {
                Boolean dropping = read("check generation " + generation, c -> {
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

    // ---- mutable mode ------------------------------------------------------------------------------------

    @Override
    public WriteResult upsert(List<VectorRecord> records) throws IOException {
        ensureOpen();
        for (VectorRecord r : records) {
            dialect.requireStorable(r);
        }
        return write("upsert " + records.size() + " records", c -> {
            Generation g = requireActive(c, "upsert into");
            for (VectorRecord r : records) {
                if (r.vector().length != g.model().dimension()) {
                    throw new DimensionMismatchException("record " + r.tenant() + "/" + r.id(), g.model().dimension(),
                            r.vector().length);
                }
            }
            // The last record of a key wins; counts follow the list's order, as if applied one by one.
            Map<List<String>, VectorRecord> byKey = new LinkedHashMap<>();
            records.forEach(r -> byKey.put(List.of(r.tenant(), r.id()), r));
            Set<List<String>> present = existingKeys(c, g.id(), byKey.keySet());
            int inserted = 0;
            int updated = 0;
            for (VectorRecord r : records) {
                if (present.add(List.of(r.tenant(), r.id()))) {
                    inserted++;
                } else {
                    updated++;
                }
            }
            boolean unverified = false;
            try (PreparedStatement ps = c.prepareStatement(dialect.upsertSql(g.id()))) {
                int pending = 0;
                for (VectorRecord r : byKey.values()) {
                    dialect.bindRecord(ps, r, g.model().fingerprint());
                    ps.addBatch();
                    if (++pending == options.batchSize()) {
                        unverified |= executeChecked(ps, 1, "upsert into generation " + g.id());
                        pending = 0;
                    }
                }
                if (pending > 0) {
                    unverified |= executeChecked(ps, 1, "upsert into generation " + g.id());
                }
            }
            if (unverified) {
                int found = existingKeys(c, g.id(), byKey.keySet()).size();
                if (found != byKey.size()) {
                    throw new StoreException(location + ": upsert into generation " + g.id(), "records present after",
                            byKey.size(), found);
                }
            }
            return WriteResult.upserted(inserted, updated);
        });
    }

    @Override
    public WriteResult delete(String tenant, Collection<String> ids) throws IOException {
        ensureOpen();
        Objects.requireNonNull(tenant, "tenant");
        List<String> distinct = List.copyOf(new LinkedHashSet<>(ids));
        return write("delete " + distinct.size() + " records of tenant " + tenant, c -> {
            Generation g = requireActive(c, "delete from");
            // Counted before deleting (the store row is locked, so nothing changes in between): exact even when a
            // driver answers SUCCESS_NO_INFO.
            int present = existingKeys(c, g.id(), distinct.stream().map(id -> List.of(tenant, id)).toList()).size();
            int deleted = 0;
            boolean unknown = false;
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + tables.generation(g.id())
                    + " WHERE tenant = ? AND id = ?")) {
                int pending = 0;
                for (int i = 0; i < distinct.size(); i++) {
                    ps.setString(1, tenant);
                    ps.setString(2, distinct.get(i));
                    ps.addBatch();
                    if (++pending == options.batchSize() || i == distinct.size() - 1) {
                        int[] counts = ps.executeBatch();
                        deleted += Batches.requireDeletes(counts, "delete from generation " + g.id());
                        unknown |= Batches.anyUnknown(counts);
                        pending = 0;
                    }
                }
            }
            if (!unknown && deleted != present) {
                throw new StoreException(location + ": delete from generation " + g.id(), "rows deleted", present,
                        deleted);
            }
            return WriteResult.deleted(present, distinct.size() - present);
        });
    }

    /** Executes a batch, requiring {@code expected} rows per statement; true when the driver did not say. */
    private static boolean executeChecked(PreparedStatement ps, int expected, String what) throws SQLException {
        int[] counts = ps.executeBatch();
        Batches.requireEach(counts, expected, what);
        return Batches.anyUnknown(counts);
    }

    private Set<List<String>> existingKeys(Connection c, long generation, Collection<List<String>> keys)
            throws SQLException {
        Map<String, List<String>> idsByTenant = keys.stream().collect(Collectors.groupingBy(k -> k.get(0),
                LinkedHashMap::new, Collectors.mapping(k -> k.get(1), Collectors.toList())));
        Set<List<String>> present = new HashSet<>();
        for (Map.Entry<String, List<String>> e : idsByTenant.entrySet()) {
            selectByIds(c, generation, "id", e.getKey(), e.getValue(),
                    rs -> present.add(List.of(e.getKey(), rs.getString(1))));
        }
        return present;
    }

    private interface RowConsumer {
        void accept(ResultSet rs) throws SQLException;
    }

    /** Reads {@code columns} of the rows of {@code tenant} with the given ids, in statements of up to 500 ids. */
    private void selectByIds(Connection c, long generation, String columns, String tenant, List<String> ids,
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

    private Generation requireActive(Connection c, String what) throws SQLException, IOException {
        Long active = activeId(c);
        if (active == null) {
            throw new StoreException(location + ": cannot " + what + " the active generation: none is active");
        }
        return generation(c, active);
    }

    // ---- verification ------------------------------------------------------------------------------------

    /**
     * Reads every row of the active generation's table in one snapshot, 1,000 rows per round trip
     * (one row at a time in memory), and checks each against what the store wrote: the row's model
     * fingerprint is the generation's, its content hash recomputed from its text, metadata and that
     * fingerprint equals the stored one, and its vector has the generation's dimension and finite values.
     * An edit made to the table with SQL behind the store's back shows as a content hash mismatch.
     *
     * @throws IntegrityException naming the generation and the first row found that does not match, with the
     *         stored (expected) and the recomputed (actual) value
     * @throws StoreException when no generation is active
     */
    @Override
    public IntegrityReport verifyActiveGeneration() throws IOException {
        ensureOpen();
        return read("verify the active generation", c -> {
            Long active = activeId(c);
            if (active == null) {
                throw new StoreException(location + ": cannot verify the active generation: none is active");
            }
            Generation g = generation(c, active);
            String table = tables.generation(g.id());
            long rows = 0;
            // No ORDER BY: a sort of every row (vectors included) would cost more than the scan it orders.
            try (PreparedStatement ps = c.prepareStatement("SELECT tenant, id, text, metadata, content_hash, "
                    + "model_fingerprint, " + dialect.vectorColumn() + " FROM " + table)) {
                ps.setFetchSize(PAGE);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        verifyRow(rs, location + " generation " + g.id() + " record " + rs.getString(1) + "/"
                                + rs.getString(2), g.model());
                        rows++;
                    }
                }
            }
            return new IntegrityReport(g.id(), rows, rows + " rows of " + table + ": every content hash recomputed "
                    + "from text, metadata and model fingerprint matches; every vector has " + g.model().dimension()
                    + " finite values");
        });
    }

    /** Checks one row of {@link #verifyActiveGeneration}'s query against the generation's model. */
    private void verifyRow(ResultSet rs, String subject, EmbeddingModel model) throws SQLException, IntegrityException {
        String fingerprint = rs.getString(6);
        if (!model.fingerprint().equals(fingerprint)) {
            throw new IntegrityException(subject, "model fingerprint", model.fingerprint(), fingerprint);
        }
        Map<String, String> metadata;
        float[] vector;
        try {
            metadata = Codec.stringMap(rs.getString(4), subject + " metadata");
            vector = dialect.readVector(rs, 7, subject);
        } catch (IllegalStateException e) {
            throw new IntegrityException(e.getMessage(), e);
        }
        String stored = rs.getString(5);
        String recomputed = ContentHash.of(rs.getString(3), metadata, model.fingerprint());
        if (!recomputed.equals(stored)) {
            throw new IntegrityException(subject, "content hash recomputed from text, metadata and model fingerprint",
                    stored, recomputed);
        }
        if (vector.length != model.dimension()) {
            throw new IntegrityException(subject, "vector dimension", model.dimension(), vector.length);
        }
        for (int i = 0; i < vector.length; i++) {
            if (!Float.isFinite(vector[i])) {
                throw new IntegrityException(subject, "vector component " + i, "a finite float", vector[i]);
            }
        }
    }

    // ---- stats and close ---------------------------------------------------------------------------------

    @Override
    public StoreStats stats() throws IOException {
        ensureOpen();
        return read("read statistics", c -> {
            Long active = activeId(c);
            long records = 0;
            int tenants = 0;
            if (active != null) {
                try (Statement s = c.createStatement();
                     ResultSet rs = s.executeQuery("SELECT count(*), count(DISTINCT tenant) FROM "
                             + tables.generation(active))) {
                    rs.next();
                    records = rs.getLong(1);
                    tenants = rs.getInt(2);
                }
            }
            List<Long> kept = committedIds(c);
            return new StoreStats(active == null ? 0 : active, records, tenants, kept.size(),
                    dialect.bytesOnDisk(c, kept));
        });
    }

    @Override
    public void close() {
        closed = true;
        // The pool of a jdbc: location or openEmbedded is the store's; an application's data source is its own.
        if (dataSource instanceof StorePool pool) {
            pool.close();
        }
    }

    private void ensureOpen() throws StoreException {
        if (closed) {
            throw new StoreException(location + ": the store is closed");
        }
    }

    // ---- rows of the store and generations tables --------------------------------------------------------

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
            requireOneRow(ps.executeUpdate(), "update " + tables.store());
        }
    }

    private Long activeId(Connection c) throws SQLException {
        return storeRow(c).active();
    }

    /** The committed generation {@code id}, which must exist (the active one, or one just looked up). */
    private Generation generation(Connection c, long id) throws SQLException {
        Generation cached = generationCache.get(id);
        if (cached != null) {
            return cached;
        }
        return findGeneration(c, id).orElseThrow(() -> new SQLException(tables.generations()
                + ": expected committed generation " + id + " but found none"));
    }

    private Optional<Generation> findGeneration(Connection c, long id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + GENERATION_COLUMNS + " FROM " + tables.generations()
                + " WHERE id = ? AND state = 'committed'")) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                Generation g = generationRow(rs);
                generationCache.putIfAbsent(id, g);
                return Optional.of(g);
            }
        }
    }

    private List<Long> committedIds(Connection c) throws SQLException {
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

    // ---- connections and transactions --------------------------------------------------------------------

    /** Work done on one connection, in one transaction. */
    private interface SqlWork<T> {
        T run(Connection c) throws SQLException, IOException;
    }

    private interface Body<T> {
        T run() throws SQLException, IOException;
    }

    /** Runs {@code work} in a read-only snapshot transaction, retrying when a generation was dropped under it. */
    private <T> T read(String what, SqlWork<T> work) throws IOException {
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
    private <T> T write(String what, SqlWork<T> work) throws IOException {
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
            requireOneRow(s.executeUpdate("UPDATE " + tables.store() + " SET serial = serial + 1 WHERE singleton = 1"),
                    "lock " + tables.store());
        }
    }

    private static <T> T inTransaction(Connection c, Body<T> body) throws SQLException, IOException {
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

    private static String placeholders(int n) {
        return String.join(", ", java.util.Collections.nCopies(n, "?"));
    }

    // ---- for the generation writer -----------------------------------------------------------------------

    DataSource dataSource() {
        return dataSource;
    }

    Dialect sqlDialect() {
        return dialect;
    }

    Tables tables() {
        return tables;
    }

    void cacheGeneration(Generation g) {
        generationCache.putIfAbsent(g.id(), g);
    }
}
