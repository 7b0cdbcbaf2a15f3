package dev.nyla.sync.jdbc;

import dev.nyla.sync.ContentHash;
import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.IntegrityException;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.GenerationSpec;
import dev.nyla.sync.store.GenerationWriter;
import dev.nyla.sync.store.IntegrityReport;
import dev.nyla.sync.store.InventoryEntry;
import dev.nyla.sync.store.SearchHit;
import dev.nyla.sync.store.SearchRequest;
import dev.nyla.sync.store.StoreException;
import dev.nyla.sync.store.StoreStats;
import dev.nyla.sync.store.VectorStore;
import dev.nyla.sync.store.WriteResult;
import dev.nyla.sync.store.internal.ReadOnlyVectorStore;
import dev.nyla.sync.store.internal.TenantLocking;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;
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
    private static final Logger LOG = LoggerFactory.getLogger(JdbcVectorStore.class);

    private final String location;
    private final JdbcOptions options;
    private final Dialect dialect;
    /** The SQLite database file, when known: its sidecar file holds the tenant locks. */
    private final Optional<Path> file;
    private final Transactions tx;
    private final Generations generations;
    private final Searches searches;
    private final Inventories inventories;
    private final Mutations mutations;
    /** Closed with the store when it is the store's own pool ({@link StorePool}). */
    private final DataSource dataSource;
    private volatile boolean closed;

    private JdbcVectorStore(DataSource dataSource, String location, JdbcOptions options, Dialect dialect,
                            Optional<Path> file, boolean readOnly) {
        this.dataSource = dataSource;
        this.location = location;
        this.options = options;
        this.dialect = dialect;
        this.file = file;
        this.tx = new Transactions(dataSource, dialect, location);
        // Opened by openReadOnly: creates nothing and drops nothing (wrapped so that it writes nothing).
        this.generations = new Generations(tx, dialect, location, readOnly);
        this.searches = new Searches(tx, generations, dialect, options, location);
        this.inventories = new Inventories(tx, generations, dialect, options, location);
        this.mutations = new Mutations(tx, generations, dialect, options, location);
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
        Dialect dialect = StoreBootstrap.open(dataSource, location, options, tables);
        JdbcVectorStore store = new JdbcVectorStore(dataSource, location, options, dialect,
                dialect instanceof SqliteDialect ? file : Optional.empty(), readOnly);
        if (!readOnly) {
            store.generations.dropPendingGenerations();
        }
        LOG.debug("{}: opened, dialect {}", location, dialect.kind().wireName());
        return store;
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
        return dialect.tables.generation(generationId);
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
            Tables tables = dialect.tables;
            return TenantLocks.advisory(tx.dataSource(), tables.schema(), tables.prefix(), tenant, timeout, location);
        }
        if (file.isPresent()) {
            return TenantLocks.sidecar(file.get(), dialect.tables.prefix(), tenant, timeout, location);
        }
        return () -> {
        };
    }

    // ---- generations -------------------------------------------------------------------------------------

    @Override
    public Optional<Generation> activeGeneration() throws IOException {
        ensureOpen();
        return generations.active();
    }

    @Override
    public List<Generation> generations() throws IOException {
        ensureOpen();
        return generations.list();
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
        Generation base = tx.read("read base generation " + baseGenerationId,
                c -> generations.findGeneration(c, baseGenerationId).orElse(null));
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
        generations.activate(generationId);
    }

    @Override
    public Generation rollback() throws IOException {
        ensureOpen();
        return generations.rollback();
    }

    @Override
    public void deleteGeneration(long generationId) throws IOException {
        ensureOpen();
        generations.delete(generationId);
    }

    // ---- search and streams ------------------------------------------------------------------------------

    @Override
    public List<SearchHit> search(SearchRequest request) throws IOException {
        ensureOpen();
        return searches.search(request);
    }

    /**
     * The database's plan for {@code request}'s candidate query on pgvector (for operators and tests: which
     * index a search walks); empty for dialects that score in the JVM.
     */
    List<String> explainSearch(SearchRequest request) throws IOException {
        ensureOpen();
        return searches.explain(request);
    }

    @Override
    public Stream<String> tenants() throws IOException {
        ensureOpen();
        return inventories.tenants();
    }

    @Override
    public Stream<InventoryEntry> inventory(String tenant) throws IOException {
        ensureOpen();
        Objects.requireNonNull(tenant, "tenant");
        return inventories.inventory(tenant);
    }

    // ---- mutable mode ------------------------------------------------------------------------------------

    @Override
    public WriteResult upsert(List<VectorRecord> records) throws IOException {
        ensureOpen();
        return mutations.upsert(records);
    }

    @Override
    public WriteResult delete(String tenant, Collection<String> ids) throws IOException {
        ensureOpen();
        Objects.requireNonNull(tenant, "tenant");
        return mutations.delete(tenant, ids);
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
        return tx.read("verify the active generation", c -> {
            Long active = generations.activeId(c);
            if (active == null) {
                throw new StoreException(location + ": cannot verify the active generation: none is active");
            }
            Generation g = generations.generation(c, active);
            String table = dialect.tables.generation(g.id());
            long rows = 0;
            // No ORDER BY: a sort of every row (vectors included) would cost more than the scan it orders.
            try (PreparedStatement ps = c.prepareStatement("SELECT tenant, id, text, metadata, content_hash, "
                    + "model_fingerprint, " + dialect.vectorColumn() + " FROM " + table)) {
                ps.setFetchSize(Transactions.PAGE);
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
        return tx.read("read statistics", c -> {
            Long active = generations.activeId(c);
            long records = 0;
            int tenants = 0;
            if (active != null) {
                try (Statement s = c.createStatement();
                     ResultSet rs = s.executeQuery("SELECT count(*), count(DISTINCT tenant) FROM "
                             + dialect.tables.generation(active))) {
                    rs.next();
                    records = rs.getLong(1);
                    tenants = rs.getInt(2);
                }
            }
            List<Long> kept = generations.committedIds(c);
            return new StoreStats(active == null ? 0 : active, records, tenants, kept.size(),
                    dialect.bytesOnDisk(c, kept));
        });
    }

    @Override
    public void close() {
        closed = true;
        generations.close();
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

    // ---- for the generation writer -----------------------------------------------------------------------

    DataSource dataSource() {
        return tx.dataSource();
    }

    Dialect sqlDialect() {
        return dialect;
    }

    Tables tables() {
        return dialect.tables;
    }

    void cacheGeneration(Generation g) {
        generations.cache(g);
    }
}
