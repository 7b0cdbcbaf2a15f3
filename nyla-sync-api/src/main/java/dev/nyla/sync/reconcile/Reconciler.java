package dev.nyla.sync.reconcile;

import dev.nyla.sync.RecordKeys;
import dev.nyla.sync.embed.Embedder;
import dev.nyla.sync.internal.BuilderOptions;
import dev.nyla.sync.reconcile.ReconcileListener.Phase;
import dev.nyla.sync.reconcile.SyncReport.Outcome;
import dev.nyla.sync.store.VectorStore;
import dev.nyla.sync.store.internal.TenantLocking;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
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

    private final VectorStore store;
    private final SourceOfTruth source;
    private final Optional<Embedder> embedder;
    private final ReconcileSettings settings;
    private final ReconcileEvents events;
    private final DriftScan scan;
    private final RepairLocks locks;

    private Reconciler(Builder b) {
        this.store = b.store;
        this.source = b.source;
        this.embedder = Optional.ofNullable(b.embedder);
        int embedBatchSize = b.embedBatchSize > 0 ? b.embedBatchSize
                : Math.max(1, b.embedder == null ? 32 : b.embedder.preferredBatchSize());
        this.settings = new ReconcileSettings(embedBatchSize, b.writeBatchSize, b.deleteBatchSize, b.concurrency,
                b.idLimit, b.maxRounds, b.spillThreshold, b.lockTimeout, b.tempDirectory);
        this.events = new ReconcileEvents(b.listener);
        this.scan = new DriftScan(store, source, settings.idLimit(), events);
        this.locks = new RepairLocks(store, settings.lockTimeout());
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
        Drift drift = scan.diff(tenant, currentFingerprint(), null, null, false, Phase.CHECK);
        events.fire(l -> l.checked(drift));
        return drift;
    }

    /** Checks every tenant of the source and of the store; see {@link #syncAll(boolean)} for how tenants are run. */
    public ReconcileSummary checkAll() throws IOException {
        return new AllTenantsRun(this, settings, events).run(false, false);
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
        SyncReport report = new TenantRepair(tenant, requireEmbedder(), store, scan, locks, settings, events)
                .execute(force);
        events.fire(l -> l.synced(report));
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
        return new AllTenantsRun(this, settings, events).run(true, force);
    }

    // ---- the diff ------------------------------------------------------------------------------------------

    /** The fingerprint stored records should carry: the embedder's, else the active generation's model's. */
    private Optional<String> currentFingerprint() throws IOException {
        if (embedder.isPresent()) {
            return Optional.of(embedder.get().model().fingerprint());
        }
        return store.activeGeneration().map(g -> g.model().fingerprint());
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

    /**
     * Builds a {@link Reconciler}. Each option is set once: calling a setter a second time throws an
     * {@link IllegalStateException} naming the option and its value, rather than silently replacing it; a
     * value out of range throws an {@link IllegalArgumentException} naming the option. To hear events in
     * several places, pass {@link ReconcileListener#all ReconcileListener.all(a, b)}.
     */
    public static final class Builder {
        private final BuilderOptions options = new BuilderOptions("Reconciler.Builder");
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
            this.store = options.once("store", store);
            return this;
        }

        /** The source of truth (required). */
        public Builder source(SourceOfTruth source) {
            this.source = options.once("source", source);
            return this;
        }

        /**
         * The embedder of missing and changed records (required for syncs). Its model must be the store's
         * active generation's model; a check without an embedder compares with that model.
         */
        public Builder embedder(Embedder embedder) {
            this.embedder = options.once("embedder", embedder);
            return this;
        }

        /** Texts per embedder call; default the embedder's {@link Embedder#preferredBatchSize()}. */
        public Builder embedBatchSize(int n) {
            this.embedBatchSize = options.once("embedBatchSize", positive("embedBatchSize", n));
            return this;
        }

        /** Records per upsert (one store transaction); default 500. */
        public Builder writeBatchSize(int n) {
            this.writeBatchSize = options.once("writeBatchSize", positive("writeBatchSize", n));
            return this;
        }

        /** Ids per delete (one store transaction); default 500. */
        public Builder deleteBatchSize(int n) {
            this.deleteBatchSize = options.once("deleteBatchSize", positive("deleteBatchSize", n));
            return this;
        }

        /** Tenants reconciled at once by {@link #checkAll()} and {@link #syncAll(boolean)}; default 2. */
        public Builder concurrency(int n) {
            this.concurrency = options.once("concurrency", positive("concurrency", n));
            return this;
        }

        /** Ids of each drift kind kept in a {@link Drift}, and failures kept in a summary; default 100. */
        public Builder idLimit(int n) {
            if (n < 0) {
                throw new IllegalArgumentException("idLimit: expected >= 0 but was " + n);
            }
            this.idLimit = options.once("idLimit", n);
            return this;
        }

        /** Repair rounds before a sync whose verifying check keeps finding drift gives up; default 3. */
        public Builder maxRounds(int n) {
            this.maxRounds = options.once("maxRounds", positive("maxRounds", n));
            return this;
        }

        /**
         * How long a sync waits for another holder of its tenant's lock, default 5 minutes; zero tries once.
         * A sync that does not get the lock writes nothing and ends {@code FAILED} with a
         * {@link dev.nyla.sync.store.LockTimeoutException} naming the tenant.
         */
        public Builder lockTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "lockTimeout");
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("lockTimeout: expected >= 0 but was " + timeout);
            }
            this.lockTimeout = options.once("lockTimeout", timeout);
            return this;
        }

        /** Where lists too long for memory are spilled; default {@code java.io.tmpdir}. */
        public Builder tempDirectory(Path directory) {
            this.tempDirectory = options.once("tempDirectory", directory);
            return this;
        }

        /**
         * Entries of one list (records to embed, stale ids, tenants of a run) held in memory before the list
         * spills to a temporary file; default 10,000 (and never more than 8 MiB of them).
         */
        public Builder spillThreshold(int n) {
            this.spillThreshold = options.once("spillThreshold", positive("spillThreshold", n));
            return this;
        }

        /** Hears checks, progress and sync reports. */
        public Builder listener(ReconcileListener listener) {
            this.listener = options.listener("listener", listener);
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
