package dev.nyla.sync.reconcile;

import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.RecordKeys;
import dev.nyla.sync.SourceRecord;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.embed.Embedder;
import dev.nyla.sync.embed.EmbeddingException;
import dev.nyla.sync.reconcile.ReconcileListener.Phase;
import dev.nyla.sync.reconcile.SyncReport.Outcome;
import dev.nyla.sync.reconcile.SyncReport.Timings;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.GenerationSpec;
import dev.nyla.sync.store.GenerationWriter;
import dev.nyla.sync.store.InventoryEntry;
import dev.nyla.sync.store.StoreException;
import dev.nyla.sync.store.TenantLocking;
import dev.nyla.sync.store.VectorStore;
import dev.nyla.sync.store.WriteResult;
import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds and repairs drift between a {@link SourceOfTruth} and a {@link VectorStore}, for one tenant or for
 * all of them.
 *
 * <h2>Check</h2>
 * {@link #check(String)} reads the tenant's inventory <em>from the store itself</em> (ids, content hashes,
 * model fingerprints) and merges it with the source's records, both sorted by id, in one streaming pass:
 * ids the store lacks are <em>missing</em>, ids the source no longer has are <em>stale</em>, ids whose
 * content hash differs are <em>changed</em>, ids embedded by another model are a <em>model mismatch</em>.
 * Memory does not grow with the tenant: a million ids are compared with a heap of a few megabytes.
 *
 * <h2>Sync</h2>
 * {@link #sync(String, boolean)} takes the tenant's repair lock, checks, and when there is drift (or when
 * forced) embeds only the missing, changed and mismatched records in batches, writes them, and only then
 * deletes the stale ones in batches, so a reader never sees the tenant without a record it should have.
 * Every write and delete result is checked against what was asked. A verifying re-check ends the sync; if
 * the source changed meanwhile the repair runs again, up to {@linkplain Builder#maxRounds(int) a bound}.
 * An embedder or store failure stops the sync with the store consistent: records already written are the
 * new versions, records not reached keep their old vectors, and nothing stale was deleted yet.
 *
 * <h2>Locks</h2>
 * Each repair holds an in-process lock of (store, tenant) and, when the store implements
 * {@link TenantLocking} (PostgreSQL: an advisory lock), a lock every process respects; a second process
 * waits, then finds the tenant in sync.
 *
 * <pre>{@code
 * Reconciler reconciler = Reconciler.builder()
 *         .store(store).source(source).embedder(embedder)
 *         .listener(new ReconcileListener() { ... })
 *         .build();
 * Drift drift = reconciler.check("acme");
 * SyncReport report = reconciler.sync("acme", false);
 * ReconcileSummary all = reconciler.syncAll(false);
 * }</pre>
 *
 * <p>A reconciler is thread-safe. It does not own the store, the source or the embedder.
 */
public final class Reconciler {
    private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);
    /** The lock name for store-wide steps; never a valid tenant, so never a tenant's lock. */
    private static final String STORE_LOCK = "";
    private static final long PROGRESS_EVERY = 10_000;

    private final VectorStore store;
    private final SourceOfTruth source;
    private final Optional<Embedder> embedder;
    private final int embedBatchSize;
    private final int writeBatchSize;
    private final int deleteBatchSize;
    private final int concurrency;
    private final int idLimit;
    private final int maxRounds;
    private final int spillThreshold;
    private final Duration lockTimeout;
    private final Path tempDirectory;
    private final ReconcileListener listener;

    private Reconciler(Builder b) {
        this.store = b.store;
        this.source = b.source;
        this.embedder = Optional.ofNullable(b.embedder);
        this.embedBatchSize = b.embedBatchSize > 0 ? b.embedBatchSize
                : Math.max(1, b.embedder == null ? 32 : b.embedder.preferredBatchSize());
        this.writeBatchSize = b.writeBatchSize;
        this.deleteBatchSize = b.deleteBatchSize;
        this.concurrency = b.concurrency;
        this.idLimit = b.idLimit;
        this.maxRounds = b.maxRounds;
        this.spillThreshold = b.spillThreshold;
        this.lockTimeout = b.lockTimeout;
        this.tempDirectory = b.tempDirectory;
        this.listener = b.listener;
    }

    /** A builder; store and source are required, an embedder is required for syncs. */
    public static Builder builder() {
        return new Builder();
    }

    /** The store this reconciler repairs. */
    VectorStore store() {
        return store;
    }

    /** The source this reconciler compares with. */
    SourceOfTruth source() {
        return source;
    }

    /** Whether this reconciler has an embedder, so that it can sync. */
    boolean canSync() {
        return embedder.isPresent();
    }

    // ---- check ---------------------------------------------------------------------------------------------

    /**
     * Compares one tenant of the store with the source. Reads only; takes no lock.
     *
     * @throws SourceException when the source fails or yields unusable records
     * @throws IOException     when the store cannot be read
     */
    public Drift check(String tenant) throws IOException {
        requireTenant(tenant);
        Drift drift = diff(tenant, currentFingerprint(), null, null, false, Phase.CHECK);
        fire(() -> listener.checked(drift));
        return drift;
    }

    /** Checks every tenant of the source and of the store; see {@link #syncAll(boolean)} for how tenants are run. */
    public ReconcileSummary checkAll() throws IOException {
        return runAll(false, false);
    }

    // ---- sync ----------------------------------------------------------------------------------------------

    /**
     * Repairs one tenant: see the class description. Failures of this tenant (the source, the embedder, the
     * store, a lock that stayed taken) do not throw; they end the report with outcome
     * {@link Outcome#FAILED} and the exception, which {@link SyncReport#failure()} holds.
     *
     * @param force re-embed and rewrite every record of the tenant even when it is in sync (a changed
     *              embedder implementation with the same fingerprint, a suspected corrupt vector); the tenant
     *              is never empty to readers while this runs, since records are replaced in place
     * @throws IllegalStateException when the reconciler was built without an embedder
     */
    public SyncReport sync(String tenant, boolean force) {
        requireTenant(tenant);
        SyncRun run = new SyncRun(tenant, requireEmbedder());
        SyncReport report = run.execute(force);
        fire(() -> listener.synced(report));
        if (report.outcome() == Outcome.FAILED) {
            LOG.warn("sync of tenant '{}' in {} failed: {}", tenant, store.location(),
                    report.failure().map(Throwable::getMessage).orElse(""));
        }
        return report;
    }

    /**
     * Syncs every tenant of the source and of the store (a tenant only in the store is all stale), running
     * {@linkplain Builder#concurrency(int) a bounded number} at once. A failing tenant does not stop the
     * run; it counts as failed in the summary and its report goes to the listener.
     *
     * @throws IOException when the list of tenants itself cannot be read (tenants already run keep their repairs)
     */
    public ReconcileSummary syncAll(boolean force) throws IOException {
        requireEmbedder();
        return runAll(true, force);
    }

    // ---- the diff ------------------------------------------------------------------------------------------

    /** The fingerprint stored records should carry: the embedder's, else the active generation's model's. */
    private Optional<String> currentFingerprint() throws IOException {
        if (embedder.isPresent()) {
            return Optional.of(embedder.get().model().fingerprint());
        }
        return store.activeGeneration().map(g -> g.model().fingerprint());
    }

    /**
     * Merges the source's records with the store's inventory. When spills are given, the records to embed
     * (missing, changed, mismatched; every source record with {@code all}) and the stale ids are appended to
     * them in id order, so that the repair needs no second read of the source: the source's cursor is open
     * only while this merge reads, never while the embedder works.
     */
    private Drift diff(String tenant, Optional<String> fingerprint, Spill<SourceRecord> toEmbed, Spill<String> stale,
                       boolean all, Phase phase) throws IOException {
        long start = System.nanoTime();
        long missing = 0;
        long staleCount = 0;
        long changed = 0;
        long mismatch = 0;
        List<String> missingIds = new ArrayList<>();
        List<String> staleIds = new ArrayList<>();
        List<String> changedIds = new ArrayList<>();
        List<String> mismatchIds = new ArrayList<>();
        long steps = 0;
        Ordered<SourceRecord> src;
        Ordered<InventoryEntry> inv;
        try (Stream<SourceRecord> s = sourceRecords(tenant); Stream<InventoryEntry> i = store.inventory(tenant)) {
            src = Ordered.source(s.iterator(), SourceRecord::id, sourceWhat(tenant));
            inv = Ordered.store(i.iterator(), InventoryEntry::id, store.location() + ": inventory of tenant '" + tenant + "'");
            SourceRecord r = nextOf(src, tenant);
            InventoryEntry e = inv.next();
            while (r != null || e != null) {
                int c = r == null ? 1 : e == null ? -1 : RecordKeys.compare(r.id(), e.id());
                if (c < 0) {
                    missing++;
                    sample(missingIds, r.id());
                    add(toEmbed, r);
                    r = nextOf(src, tenant);
                } else if (c > 0) {
                    staleCount++;
                    sample(staleIds, e.id());
                    add(stale, e.id());
                    e = inv.next();
                } else {
                    // No current model is known only when the store had no active generation as the check
                    // began; one activated since is compared with its own records' model.
                    String fp = fingerprint.orElse(e.modelFingerprint());
                    boolean drifted = true;
                    if (!e.modelFingerprint().equals(fp)) {
                        mismatch++;
                        sample(mismatchIds, r.id());
                    } else if (!e.contentHash().equals(r.contentHash(fp))) {
                        changed++;
                        sample(changedIds, r.id());
                    } else {
                        drifted = false;
                    }
                    if (drifted || all) {
                        add(toEmbed, r);
                    }
                    r = nextOf(src, tenant);
                    e = inv.next();
                }
                long read = src.count() + inv.count();
                if (++steps % PROGRESS_EVERY == 0) {
                    fire(() -> listener.progress(tenant, phase, read, -1));
                }
            }
        } catch (UncheckedIOException e) {
            // Thrown by a stream's close (a cursor that failed to close).
            throw e.getCause();
        }
        return new Drift(tenant, src.count(), inv.count(), missing, staleCount, changed, mismatch, missingIds,
                staleIds, changedIds, mismatchIds, Duration.ofNanos(System.nanoTime() - start));
    }

    private Stream<SourceRecord> sourceRecords(String tenant) throws IOException {
        return openSource(sourceWhat(tenant), () -> source.records(tenant));
    }

    private interface SourceCall<T> {
        Stream<T> open() throws IOException;
    }

    /** Opens one of the source's streams; any failure to open it is a {@link SourceException} naming {@code what}. */
    private static <T> Stream<T> openSource(String what, SourceCall<T> call) throws IOException {
        try {
            return call.open();
        } catch (SourceException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new SourceException(what + ": " + e.getMessage(), e);
        }
    }

    private String sourceWhat(String tenant) {
        return "source " + source.describe() + ": records of tenant '" + tenant + "'";
    }

    private SourceRecord nextOf(Ordered<SourceRecord> src, String tenant) throws IOException {
        SourceRecord r = src.next();
        if (r != null && !r.tenant().equals(tenant)) {
            throw new SourceException(sourceWhat(tenant), "tenant of record '" + r.id() + "'", tenant, r.tenant());
        }
        return r;
    }

    private void sample(List<String> ids, String id) {
        if (ids.size() < idLimit) {
            ids.add(id);
        }
    }

    private static <T> void add(Spill<T> spill, T value) throws IOException {
        if (spill != null) {
            spill.add(value);
        }
    }

    // ---- one tenant's sync -------------------------------------------------------------------------------

    /** The state of one sync of one tenant; not shared between threads. */
    private final class SyncRun {
        private final String tenant;
        private final Embedder embedder;
        private final EmbeddingModel model;
        private Drift before;
        private Drift after;
        private long embedded;
        private long inserted;
        private long updated;
        private long deleted;
        private long notFound;
        private int rounds;
        private long checkNanos;
        private long embedNanos;
        private long writeNanos;
        private long deleteNanos;
        private long verifyNanos;
        private final List<VectorRecord> pending = new ArrayList<>();

        SyncRun(String tenant, Embedder embedder) {
            this.tenant = tenant;
            this.embedder = embedder;
            this.model = embedder.model();
        }

        SyncReport execute(boolean force) {
            long start = System.nanoTime();
            Exception failure = null;
            Outcome outcome = Outcome.FAILED;
            Closeable lock = null;
            try {
                lock = lock(tenant);
                outcome = repairUnderLock(force);
            } catch (Exception e) {
                failure = e;
                if (e instanceof InterruptedIOException) {
                    Thread.currentThread().interrupt();
                }
            } finally {
                if (lock != null) {
                    try {
                        lock.close();
                    } catch (IOException | RuntimeException e) {
                        // The repair is complete and verified either way; a lock that failed to release is
                        // released with its session (PostgreSQL) or process.
                        if (failure != null) {
                            failure.addSuppressed(e);
                        } else {
                            LOG.warn("tenant '{}' in {}: releasing the repair lock failed: {}", tenant,
                                    store.location(), e.getMessage());
                        }
                    }
                }
            }
            if (outcome == Outcome.FAILED && failure == null) {
                failure = new ReconcileException(store.location() + ": tenant '" + tenant + "'",
                        "drift after " + rounds + " repair round(s) (was the source edited during the sync?)",
                        "none", describe(after));
            }
            Timings timings = new Timings(Duration.ofNanos(checkNanos), Duration.ofNanos(embedNanos),
                    Duration.ofNanos(writeNanos), Duration.ofNanos(deleteNanos), Duration.ofNanos(verifyNanos),
                    Duration.ofNanos(System.nanoTime() - start));
            return new SyncReport(tenant, outcome, Optional.ofNullable(before), Optional.ofNullable(after), embedded,
                    inserted, updated, deleted, notFound, rounds, timings, Optional.ofNullable(failure));
        }

        private Outcome repairUnderLock(boolean force) throws IOException {
            ensureActiveGeneration();
            Spill<SourceRecord> toEmbed = new Spill<>(tempDirectory, spillThreshold, Spill.RECORDS);
            Spill<String> stale = new Spill<>(tempDirectory, spillThreshold, Spill.STRINGS);
            try {
                long t = System.nanoTime();
                before = diff(tenant, Optional.of(model.fingerprint()), toEmbed, stale, force, Phase.CHECK);
                checkNanos = System.nanoTime() - t;
                Drift first = before;
                fire(() -> listener.checked(first));
                if (before.inSync() && !force) {
                    return Outcome.IN_SYNC;
                }
                while (true) {
                    rounds++;
                    embedAndWrite(toEmbed);
                    deleteStale(stale);
                    closeBoth(toEmbed, stale);
                    toEmbed = new Spill<>(tempDirectory, spillThreshold, Spill.RECORDS);
                    stale = new Spill<>(tempDirectory, spillThreshold, Spill.STRINGS);
                    t = System.nanoTime();
                    after = diff(tenant, Optional.of(model.fingerprint()), toEmbed, stale, false, Phase.VERIFY);
                    verifyNanos += System.nanoTime() - t;
                    Drift verified = after;
                    fire(() -> listener.checked(verified));
                    if (after.inSync()) {
                        return Outcome.SYNCED;
                    }
                    if (rounds >= maxRounds) {
                        return Outcome.FAILED;
                    }
                    LOG.info("tenant '{}' in {}: drift remains after repair round {} ({}); repairing again",
                            tenant, store.location(), rounds, describe(after));
                }
            } finally {
                closeBoth(toEmbed, stale);
            }
        }

        private static void closeBoth(Closeable a, Closeable b) throws IOException {
            try {
                a.close();
            } finally {
                b.close();
            }
        }

        /** A store without an active generation gets an empty one for the embedder's model, so that it can be written. */
        private void ensureActiveGeneration() throws IOException {
            Optional<Generation> active = store.activeGeneration();
            if (active.isEmpty()) {
                try (Closeable storeLock = lock(STORE_LOCK)) {
                    active = store.activeGeneration();
                    if (active.isEmpty()) {
                        Generation g;
                        try (GenerationWriter w = store.newGeneration(GenerationSpec.of(0, "reconciled", model))) {
                            g = w.commit();
                        }
                        store.activate(g.id());
                        LOG.info("{}: had no active generation; created empty generation {} for model {} to reconcile into",
                                store.location(), g.id(), model.id());
                        active = Optional.of(g);
                    }
                }
            }
            EmbeddingModel storeModel = active.get().model();
            if (!storeModel.isCompatibleWith(model)) {
                throw new ReconcileException(store.location(),
                        "embedding model of the active generation (the embedder's model must match it; install or"
                                + " publish a generation built with the new model instead of reconciling)",
                        model.id() + " " + model.fingerprint(), storeModel.id() + " " + storeModel.fingerprint());
            }
        }

        /** Embeds the records the check collected, in batches, writing them as batches fill. */
        private void embedAndWrite(Spill<SourceRecord> records) throws IOException {
            long total = records.size();
            List<SourceRecord> batch = new ArrayList<>(embedBatchSize);
            try {
                Iterator<SourceRecord> it = records.iterator();
                while (it.hasNext()) {
                    batch.add(it.next());
                    if (batch.size() == embedBatchSize || !it.hasNext()) {
                        try {
                            embedBatch(batch, total);
                        } catch (IOException | RuntimeException e) {
                            // Records embedded before the failure are good: write them, so the next sync need not
                            // embed them again. Those not reached keep their old vectors; nothing stale is deleted.
                            try {
                                flushWrites(total, true);
                            } catch (IOException | RuntimeException x) {
                                e.addSuppressed(x);
                            }
                            throw e;
                        }
                        batch.clear();
                        flushWrites(total, false);
                    }
                }
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
            flushWrites(total, true);
        }

        /** Embeds one batch and queues its records; a bad vector fails the batch before any of it is queued. */
        private void embedBatch(List<SourceRecord> batch, long total) throws IOException {
            List<String> texts = new ArrayList<>(batch.size());
            for (SourceRecord r : batch) {
                texts.add(r.text());
            }
            long t = System.nanoTime();
            List<float[]> vectors;
            try {
                vectors = embedder.embed(texts);
            } catch (EmbeddingException e) {
                throw e;
            } catch (IOException | RuntimeException e) {
                throw new EmbeddingException("embedding " + batch.size() + " records of tenant '" + tenant
                        + "' from '" + batch.get(0).id() + "': " + e.getMessage(), e);
            }
            embedNanos += System.nanoTime() - t;
            if (vectors == null || vectors.size() != batch.size()) {
                throw new ReconcileException("embedder " + model.id(), "vectors for a batch of tenant '" + tenant + "'",
                        batch.size(), vectors == null ? "null" : vectors.size());
            }
            List<VectorRecord> embeddedBatch = new ArrayList<>(batch.size());
            for (int i = 0; i < batch.size(); i++) {
                SourceRecord r = batch.get(i);
                float[] v = vectors.get(i);
                if (v == null || v.length != model.dimension()) {
                    throw new ReconcileException("embedder " + model.id() + ": vector of record " + tenant + "/" + r.id(),
                            "dimension", model.dimension(), v == null ? "null" : v.length);
                }
                try {
                    embeddedBatch.add(r.toVectorRecord(v, model.fingerprint()));
                } catch (IllegalArgumentException e) {
                    throw new ReconcileException("embedder " + model.id() + ": " + e.getMessage(), e);
                }
            }
            pending.addAll(embeddedBatch);
            embedded += batch.size();
        }

        /** Writes the pending records in batches of the write batch size; with {@code all}, the remainder too. */
        private void flushWrites(long total, boolean all) throws IOException {
            while (pending.size() >= writeBatchSize || all && !pending.isEmpty()) {
                List<VectorRecord> batch = pending.subList(0, Math.min(writeBatchSize, pending.size()));
                long t = System.nanoTime();
                WriteResult result = store.upsert(List.copyOf(batch));
                writeNanos += System.nanoTime() - t;
                if (result.written() != batch.size() || result.deleted() != 0 || result.notFound() != 0) {
                    throw new StoreException(store.location() + ": upsert into tenant '" + tenant + "'",
                            "records written", batch.size(), result);
                }
                inserted += result.inserted();
                updated += result.updated();
                batch.clear();
                long done = inserted + updated;
                fire(() -> listener.progress(tenant, Phase.EMBED, done, total));
            }
        }

        private void deleteStale(Spill<String> stale) throws IOException {
            long total = stale.size();
            long done = 0;
            Iterator<String> ids = stale.iterator();
            List<String> batch = new ArrayList<>(deleteBatchSize);
            while (ids.hasNext()) {
                batch.add(ids.next());
                if (batch.size() == deleteBatchSize || !ids.hasNext()) {
                    long t = System.nanoTime();
                    WriteResult result = store.delete(tenant, batch);
                    deleteNanos += System.nanoTime() - t;
                    if (result.deleted() + result.notFound() != batch.size() || result.written() != 0) {
                        throw new StoreException(store.location() + ": delete from tenant '" + tenant + "'",
                                "records deleted or not found", batch.size(), result);
                    }
                    deleted += result.deleted();
                    notFound += result.notFound();
                    done += batch.size();
                    long d = done;
                    fire(() -> listener.progress(tenant, Phase.DELETE, d, total));
                    batch.clear();
                }
            }
        }
    }

    private static String describe(Drift d) {
        if (d == null) {
            return "unknown";
        }
        return d.missing() + " missing " + d.missingIds() + ", " + d.stale() + " stale " + d.staleIds() + ", "
                + d.changed() + " changed " + d.changedIds() + ", " + d.modelMismatch() + " model mismatch";
    }

    /** The in-process lock, then the store's lock shared by every process, of {@code name}. */
    private Closeable lock(String name) throws IOException {
        long deadline = System.nanoTime() + lockTimeout.toNanos();
        Closeable local = LocalTenantLocks.acquire(lockScope(store), name, lockTimeout);
        if (!(store instanceof TenantLocking locking)) {
            return local;
        }
        Closeable shared;
        try {
            Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
            shared = locking.lockTenant(name, left);
        } catch (IOException | RuntimeException e) {
            local.close();
            throw e;
        }
        return () -> {
            try {
                shared.close();
            } finally {
                local.close();
            }
        };
    }

    /**
     * What the in-process locks are keyed by: the store object, since unrelated stores can share a location
     * string (every in-memory store is {@code memory:}). Two objects on one database or directory are kept
     * apart by the store's own {@link TenantLocking} or its single-writer lock file.
     */
    static String lockScope(VectorStore store) {
        return store.location() + "@" + Integer.toHexString(System.identityHashCode(store));
    }

    // ---- all tenants ---------------------------------------------------------------------------------------

    private ReconcileSummary runAll(boolean sync, boolean force) throws IOException {
        long start = System.nanoTime();
        Totals totals = new Totals();
        try (Spill<String> tenants = new Spill<>(tempDirectory, spillThreshold, Spill.STRINGS)) {
            collectTenants(tenants);
            ExecutorService pool = concurrency > 1 ? Executors.newFixedThreadPool(concurrency, threads()) : null;
            Semaphore slots = new Semaphore(concurrency);
            try {
                Iterator<String> it = tenants.iterator();
                while (it.hasNext()) {
                    String tenant = it.next();
                    if (pool == null) {
                        runTenant(tenant, sync, force, totals);
                    } else {
                        slots.acquire();
                        pool.execute(() -> {
                            try {
                                runTenant(tenant, sync, force, totals);
                            } finally {
                                slots.release();
                            }
                        });
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while reconciling " + store.location());
            } catch (UncheckedIOException e) {
                throw e.getCause();
            } finally {
                if (pool != null) {
                    pool.shutdown();
                    awaitQuietly(pool);
                }
            }
        }
        return totals.summary(Duration.ofNanos(System.nanoTime() - start));
    }

    /**
     * Merges the source's tenants with the store's into {@code out}, in order and without duplicates. The
     * list is read in full first, so that neither side holds a cursor open for the hours a run may take.
     */
    private void collectTenants(Spill<String> out) throws IOException {
        String what = "source " + source.describe() + ": tenants";
        try (Stream<String> fromSource = openSource(what, source::tenants); Stream<String> fromStore = store.tenants()) {
            Ordered<String> a = Ordered.source(fromSource.iterator(), t -> t, what);
            Ordered<String> b = Ordered.store(fromStore.iterator(), t -> t, store.location() + ": tenants");
            String x = a.next();
            String y = b.next();
            while (x != null || y != null) {
                int c = x == null ? 1 : y == null ? -1 : RecordKeys.compare(x, y);
                out.add(c <= 0 ? x : y);
                if (c <= 0) {
                    x = a.next();
                }
                if (c >= 0) {
                    y = b.next();
                }
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private void runTenant(String tenant, boolean sync, boolean force, Totals totals) {
        try {
            if (sync) {
                totals.add(sync(tenant, force));
            } else {
                totals.add(check(tenant));
            }
        } catch (Exception e) {
            // A check that failed, or a sync that could not start (a tenant name no store can hold, from a
            // source): this tenant fails, the run goes on.
            LOG.warn("{} of tenant '{}' in {} failed: {}", sync ? "sync" : "check", tenant, store.location(),
                    e.getMessage());
            totals.checked.incrementAndGet();
            totals.fail(tenant, e);
            fire(() -> listener.tenantFailed(tenant, e));
        }
    }

    private static void awaitQuietly(ExecutorService pool) {
        boolean interrupted = false;
        while (true) {
            try {
                if (pool.awaitTermination(1, TimeUnit.MINUTES)) {
                    break;
                }
            } catch (InterruptedException e) {
                interrupted = true;
                pool.shutdownNow();
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static ThreadFactory threads() {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, "nyla-reconcile-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** The counts of a run over many tenants, added to from worker threads. */
    private final class Totals {
        final AtomicLong checked = new AtomicLong();
        final AtomicLong inSync = new AtomicLong();
        final AtomicLong outOfSync = new AtomicLong();
        final AtomicLong synced = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        final List<ReconcileSummary.TenantFailure> failures = new ArrayList<>();

        void add(Drift d) {
            checked.incrementAndGet();
            (d.inSync() ? inSync : outOfSync).incrementAndGet();
        }

        void add(SyncReport r) {
            checked.incrementAndGet();
            if (r.before().isPresent() && !r.before().get().inSync()) {
                outOfSync.incrementAndGet();
            }
            switch (r.outcome()) {
                case IN_SYNC -> inSync.incrementAndGet();
                case SYNCED -> synced.incrementAndGet();
                case FAILED -> fail(r.tenant(), r.failure().orElseThrow());
            }
        }

        void fail(String tenant, Exception e) {
            failed.incrementAndGet();
            synchronized (failures) {
                if (failures.size() < idLimit) {
                    failures.add(new ReconcileSummary.TenantFailure(tenant, e));
                }
            }
        }

        ReconcileSummary summary(Duration took) {
            synchronized (failures) {
                return new ReconcileSummary(checked.get(), inSync.get(), outOfSync.get(), synced.get(), failed.get(),
                        failures, took);
            }
        }
    }

    // ---- helpers -------------------------------------------------------------------------------------------

    private Embedder requireEmbedder() {
        return embedder.orElseThrow(
                () -> new IllegalStateException("a sync needs an embedder: Reconciler.builder().embedder(...)"));
    }

    private static void requireTenant(String tenant) {
        Objects.requireNonNull(tenant, "tenant");
        RecordKeys.requireValid(tenant, "x");
    }

    private void fire(Runnable event) {
        try {
            event.run();
        } catch (RuntimeException e) {
            LOG.warn("reconcile listener failed: {}", e.toString());
        }
    }

    /** Builds a {@link Reconciler}. */
    public static final class Builder {
        private VectorStore store;
        private SourceOfTruth source;
        private Embedder embedder;
        private int embedBatchSize;
        private int writeBatchSize = 500;
        private int deleteBatchSize = 500;
        private int concurrency = 2;
        private int idLimit = 100;
        private int maxRounds = 3;
        private int spillThreshold = 10_000;
        private Duration lockTimeout = Duration.ofMinutes(5);
        private Path tempDirectory = Path.of(System.getProperty("java.io.tmpdir"));
        private ReconcileListener listener = new ReconcileListener() {
        };

        private Builder() {
        }

        /** The store to check and repair (required). */
        public Builder store(VectorStore store) {
            this.store = Objects.requireNonNull(store, "store");
            return this;
        }

        /** The source of truth (required). */
        public Builder source(SourceOfTruth source) {
            this.source = Objects.requireNonNull(source, "source");
            return this;
        }

        /**
         * The embedder of missing and changed records (required for syncs). Its model must be the store's
         * active generation's model; a check without an embedder compares with that model.
         */
        public Builder embedder(Embedder embedder) {
            this.embedder = Objects.requireNonNull(embedder, "embedder");
            return this;
        }

        /** Texts per embedder call; default the embedder's {@link Embedder#preferredBatchSize()}. */
        public Builder embedBatchSize(int n) {
            this.embedBatchSize = positive("embed batch size", n);
            return this;
        }

        /** Records per upsert (one store transaction); default 500. */
        public Builder writeBatchSize(int n) {
            this.writeBatchSize = positive("write batch size", n);
            return this;
        }

        /** Ids per delete (one store transaction); default 500. */
        public Builder deleteBatchSize(int n) {
            this.deleteBatchSize = positive("delete batch size", n);
            return this;
        }

        /** Tenants reconciled at once by {@link #checkAll()} and {@link #syncAll(boolean)}; default 2. */
        public Builder concurrency(int n) {
            this.concurrency = positive("concurrency", n);
            return this;
        }

        /** Ids of each drift kind kept in a {@link Drift}, and failures kept in a summary; default 100. */
        public Builder idLimit(int n) {
            if (n < 0) {
                throw new IllegalArgumentException("id limit: expected >= 0 but was " + n);
            }
            this.idLimit = n;
            return this;
        }

        /** Repair rounds before a sync whose verifying check keeps finding drift gives up; default 3. */
        public Builder maxRounds(int n) {
            this.maxRounds = positive("max rounds", n);
            return this;
        }

        /**
         * How long a sync waits for another holder of its tenant's lock, default 5 minutes; zero tries once.
         * A sync that does not get the lock writes nothing and ends {@code FAILED} with a
         * {@link dev.nyla.sync.store.LockTimeoutException} naming the tenant.
         */
        public Builder lockTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("lock timeout: expected >= 0 but was " + timeout);
            }
            this.lockTimeout = timeout;
            return this;
        }

        /** Where lists too long for memory are spilled; default {@code java.io.tmpdir}. */
        public Builder tempDirectory(Path directory) {
            this.tempDirectory = Objects.requireNonNull(directory, "directory");
            return this;
        }

        /**
         * Entries of one list (records to embed, stale ids, tenants of a run) held in memory before the list
         * spills to a temporary file; default 10,000 (and never more than 8 MiB of them).
         */
        public Builder spillThreshold(int n) {
            this.spillThreshold = positive("spill threshold", n);
            return this;
        }

        /** Hears checks, progress and sync reports. */
        public Builder listener(ReconcileListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        public Reconciler build() {
            if (store == null) {
                throw new IllegalStateException("a reconciler needs a store: builder().store(...)");
            }
            if (source == null) {
                throw new IllegalStateException("a reconciler needs a source of truth: builder().source(...)");
            }
            return new Reconciler(this);
        }

        private static int positive(String what, int n) {
            if (n < 1) {
                throw new IllegalArgumentException(what + ": expected >= 1 but was " + n);
            }
            return n;
        }
    }
}
