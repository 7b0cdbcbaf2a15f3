package dev.nyla.sync.client;

import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.artifact.ArtifactSource;
import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.artifact.TrustRoot;
import dev.nyla.sync.embed.Embedder;
import dev.nyla.sync.corpus.Corpus;
import dev.nyla.sync.internal.DurableFiles;
import dev.nyla.sync.internal.BuilderOptions;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.VectorStore;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

/**
 * The sync client: keeps a local {@link VectorStore} on the newest signed artifact an {@link ArtifactSource}
 * offers. Build one with {@link #builder()}:
 *
 * <pre>{@code
 * try (NylaSync sync = NylaSync.builder()
 *         .source(HttpArtifactSource.builder(URI.create("https://cdn.example.com/kb/")).build())
 *         .store(FileVectorStore.open(Path.of("/var/lib/app/vectors")))
 *         .publicKey(SigningKeys.readPublicKey(Path.of("publisher.pub")))
 *         .queryEmbedder(embedder)
 *         .build()
 *         .start()) {           // a check now, then hourly with jitter, installing in the background
 *     ...
 * }
 * }</pre>
 *
 * <p>Every run checks the manifest and installs a newer version when one is due (see {@link SyncState} for the
 * stages and {@link SyncListener} for events). A run never throws for a failed check or install: the
 * {@link SyncResult} says what happened, and the previous version keeps serving. Runs are serialized; all
 * methods are thread-safe. Closing the client stops its schedule; the store and the source belong to the
 * caller and stay open.
 */
public final class NylaSync implements Closeable {
    private final SyncConfig config;
    private final SyncStateMachine machine;
    private final CheckSchedule schedule;
    private final Path temporaryDownloads;

    private NylaSync(Builder b, SyncConfig config) throws IOException {
        this.config = config;
        Path downloads;
        if (config.stateDirectory().isPresent()) {
            downloads = config.stateDirectory().get().resolve("downloads");
            temporaryDownloads = null;
        } else {
            temporaryDownloads = Files.createTempDirectory("nyla-sync-downloads");
            downloads = temporaryDownloads;
        }
        this.machine = new SyncStateMachine(config, downloads);
        this.schedule = new CheckSchedule(machine, config.store().location(), b.checkInterval, b.jitter,
                b.failureBackoff, b.scheduler);
    }

    /** A builder; {@code source}, {@code store}, a public key and the query model are required. */
    public static Builder builder() {
        return new Builder();
    }

    /** The store this client keeps in sync. */
    public VectorStore store() {
        return config.store();
    }

    /**
     * Checks now and installs what is due, in the calling thread (waiting for a scheduled run in progress).
     * The gates (staged rollout, update condition, metered connection, approval in manual mode) apply.
     */
    public SyncResult checkNow() throws IOException {
        ensureOpen();
        return machine.run(false);
    }

    /**
     * Checks now and installs the offered version in full even when it is installed already (to repair a
     * damaged store), skipping the ETag and every gate. All signature, version, expiry, model and hash checks
     * still apply.
     */
    public SyncResult forceUpdate() throws IOException {
        ensureOpen();
        return machine.run(true);
    }

    /**
     * Activates the generation that was active before the current one. The version rolled back from stays
     * trusted, so it is not installed again; the next higher version is.
     *
     * @return the generation now active
     * @throws dev.nyla.sync.store.StoreException when the store keeps no earlier generation
     */
    public Generation rollback() throws IOException {
        ensureOpen();
        return machine.rollback();
    }

    /**
     * Forgets the trusted version and the manifest's ETag, so the next check installs whatever the source
     * serves, even a lower version. For operators recovering from a bad publication; it weakens the
     * protection against replayed old manifests until the next install.
     */
    public void clearVersion() throws IOException {
        ensureOpen();
        machine.clearVersion();
    }

    /** The client's state, trusted version, the store's generations, the last check and recent history. */
    public SyncStatus status() throws IOException {
        return machine.status();
    }

    /**
     * The signed manifest of the version the store serves, when it was installed from an artifact (empty for
     * nothing installed, or a local rebuild): its label, model, creation and expiry. Once the installed
     * version's {@link Manifest#expiresAt() expiresAt} has passed, the publisher has not republished in time
     * or a host keeps serving an old manifest (see {@code docs/security.md}); health checks report it.
     */
    public Optional<Manifest> installedManifest() throws IOException {
        return machine.installedManifest();
    }

    /**
     * The status a sync client of {@code store} saved in {@code stateDirectory}, read without creating or
     * changing anything, so that another process may look while an application's client or a
     * {@code sync --watch} runs, and a user who may only read the directory may look too. Empty when no client
     * saved a state there. Its {@link SyncStatus#state() state} is {@link SyncState#IDLE}: what a client in
     * another process is doing at this moment is not saved. When the store's active version is ahead of the
     * saved trusted version (a crash between activating and saving), the active one is reported as trusted, as
     * the client itself will at its next start.
     */
    public static Optional<SyncStatus> savedStatus(VectorStore store, Path stateDirectory) throws IOException {
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(stateDirectory, "stateDirectory");
        return SyncStateMachine.savedStatus(store, stateDirectory);
    }

    /**
     * The keys a sync client pinning {@code pinned} trusts after the site key documents it kept in
     * {@code stateDirectory} (see {@link Builder#keyThreshold}), read without creating or changing anything: for
     * a tool that verifies a kept manifest again after the site rotated its keys. {@code pinned} itself when
     * nothing was kept there, or the kept documents were verified from other pins.
     */
    public static TrustRoot savedTrustRoot(Path stateDirectory, TrustRoot pinned) throws IOException {
        Objects.requireNonNull(stateDirectory, "stateDirectory");
        Objects.requireNonNull(pinned, "pinned");
        return KeyChain.saved(pinned, stateDirectory);
    }

    /**
     * Starts background checks: one at once (the start-up check), then every check interval with jitter, and
     * after failures sooner, with exponential backoff and full jitter (never later than the interval).
     *
     * @return this client
     */
    public NylaSync start() {
        schedule.start(true);
        return this;
    }

    /**
     * Starts background checks after a check the app ran itself, such as a {@link #checkNow()} that it waits
     * for at start-up: the first scheduled check comes a check interval (with jitter) later, or after a failed
     * run sooner, with the back-off, as if {@link #start()} had run that check.
     *
     * @return this client
     */
    public NylaSync startAfterCheck() {
        schedule.start(false);
        return this;
    }

    /** The delay before the next scheduled check. */
    Duration nextDelay(int consecutiveFailures) {
        return schedule.nextDelay(consecutiveFailures);
    }

    /** Stops background checks (waiting for a run in progress to finish); leaves the store and source open. */
    @Override
    public void close() throws IOException {
        boolean idle = schedule.close();
        if (temporaryDownloads != null && idle) {
            DurableFiles.deleteRecursively(temporaryDownloads);
        }
    }

    private void ensureOpen() {
        if (schedule.isClosed()) {
            throw new IllegalStateException("this NylaSync is closed");
        }
    }

    /**
     * Configures a {@link NylaSync}. Everything is checked in {@link #build()}, which names every missing or
     * inconsistent setting at once.
     *
     * <p>Each option is set once: calling a setter a second time throws an {@link IllegalStateException} naming
     * the option and the value it has, rather than silently replacing it ({@code queryEmbedder} and
     * {@code expectedModel} are one option). The exceptions are {@link #publicKey} and {@link #publicKeys},
     * which add keys. To hear events in several places, pass {@link SyncListener#all SyncListener.all(a, b)}.
     */
    public static final class Builder {
        /** The one option {@code queryEmbedder} and {@code expectedModel} both set. */
        private static final String MODEL = "queryEmbedder or expectedModel";

        private final BuilderOptions options = new BuilderOptions("NylaSync.Builder");
        private ArtifactSource source;
        private VectorStore store;
        private final Map<String, PublicKey> keys = new LinkedHashMap<>();
        private int keyThreshold = 1;
        private long pinnedKeysVersion;
        private EmbeddingModel expectedModel;
        private boolean anyModel;
        private Predicate<UpdateOffer> approver;
        private Predicate<UpdateOffer> condition = offer -> true;
        private BooleanSupplier metered = () -> false;
        private boolean allowDowngrade;
        private String clientId = "";
        private Path stateDirectory;
        private SyncListener listener = SyncListener.NONE;
        private Clock clock = Clock.systemUTC();
        private long maxManifestBytes = Manifest.DEFAULT_MAX_BYTES;
        private int keepGenerations = 2;
        private Corpus rebuildCorpus;
        private Embedder rebuildEmbedder;
        private Duration checkInterval = Duration.ofHours(1);
        private double jitter = 0.1;
        private Duration failureBackoff = Duration.ofSeconds(30);
        private ScheduledExecutorService scheduler;
        private ArtifactSource baseline;

        private Builder() {
        }

        /** Where artifacts come from (required). */
        public Builder source(ArtifactSource source) {
            this.source = options.once("source", source);
            return this;
        }

        /** The store to keep in sync (required). The client does not close it. */
        public Builder store(VectorStore store) {
            this.store = options.once("store", store);
            return this;
        }

        /**
         * A publisher key to pin: manifests must be signed by a pinned key, or by a key the site's key documents
         * moved trust to from the pinned keys (at least one; repeat for several, the same key counts once).
         */
        public Builder publicKey(PublicKey key) {
            keys.putIfAbsent(SigningKeys.keyId(Objects.requireNonNull(key, "key")), key);
            return this;
        }

        /** Several publisher keys, as {@link #publicKey(PublicKey)} each. */
        public Builder publicKeys(Collection<PublicKey> keys) {
            keys.forEach(this::publicKey);
            return this;
        }

        /**
         * How many distinct pinned keys must sign the site's first key document for the client to follow it
         * (default 1). Key documents let a site move to new keys, or revoke one, without an app update; see
         * {@code docs/security.md}. A manifest needs one signature by a trusted key whatever the threshold, so
         * pinning several offline keys plus the online key that signs manifests, with a threshold of 2 or more,
         * keeps a thief of the online key from rotating the keys.
         */
        public Builder keyThreshold(int threshold) {
            this.keyThreshold = options.once("keyThreshold", threshold);
            return this;
        }

        /**
         * The site key document whose keys the pinned keys are (default 0: the keys the site had before any
         * rotation). An app released after the site rotated its keys, pinning the keys of key document
         * {@code n}, sets {@code n}: the client then follows the site's documents from {@code n + 1} on (document
         * {@code n} itself is signed by earlier keys the app no longer pins).
         */
        public Builder pinnedKeysVersion(long version) {
            this.pinnedKeysVersion = options.once("pinnedKeysVersion", version);
            return this;
        }

        /** The embedder the app embeds queries with: artifacts of any other model are refused (model guard). */
        public Builder queryEmbedder(Embedder embedder) {
            this.expectedModel = options.once(MODEL, Objects.requireNonNull(embedder, "queryEmbedder").model());
            return this;
        }

        /** The model the app embeds queries with, when the embedder is not at hand. */
        public Builder expectedModel(EmbeddingModel model) {
            this.expectedModel = options.once(MODEL, Objects.requireNonNull(model, "expectedModel"));
            return this;
        }

        /** Turns the model guard off: for tools that only copy artifacts and never search them. */
        public Builder acceptAnyModel() {
            this.anyModel = options.once("acceptAnyModel", true);
            return this;
        }

        /**
         * Manual mode: an offered update is installed only when {@code approver} says yes. It is called on the
         * sync thread after {@link SyncListener#approvalNeeded}, and may block (for a user's answer, say).
         */
        public Builder manualApproval(Predicate<UpdateOffer> approver) {
            this.approver = options.once("manualApproval", approver);
            return this;
        }

        /** A condition an offered update must meet, such as "only when the label changes the major version". */
        public Builder updateCondition(Predicate<UpdateOffer> condition) {
            this.condition = options.once("updateCondition", condition);
            return this;
        }

        /** Tells whether the connection is metered now; updates wait for an unmetered one. */
        public Builder meteredConnection(BooleanSupplier isMetered) {
            this.metered = options.once("meteredConnection", isMetered);
            return this;
        }

        /** Accepts a manifest with a lower version than the trusted one (off by default: replay protection). */
        public Builder allowDowngrade(boolean allow) {
            this.allowDowngrade = options.once("allowDowngrade", allow);
            return this;
        }

        /** This installation's id for staged rollouts; by default a random id kept in the state directory. */
        public Builder clientId(String clientId) {
            this.clientId = options.once("clientId", clientId);
            return this;
        }

        /**
         * Where the client keeps its state (trusted version, ETag, history) and downloads. Default: a
         * {@code sync} directory inside the store's directory; a store without one (memory) keeps the state
         * in memory only.
         */
        public Builder stateDirectory(Path directory) {
            this.stateDirectory = options.once("stateDirectory", directory);
            return this;
        }

        /** Receives every event; see {@link SyncListener}. */
        public Builder listener(SyncListener listener) {
            this.listener = options.listener("listener", listener);
            return this;
        }

        /** The clock for expiry checks and history (tests). */
        public Builder clock(Clock clock) {
            this.clock = options.once("clock", clock);
            return this;
        }

        /** The largest manifest accepted, in bytes (default 4 MiB). */
        public Builder maxManifestBytes(long bytes) {
            this.maxManifestBytes = options.once("maxManifestBytes", bytes);
            return this;
        }

        /** How many generations to keep, the active one included (default 2: one to roll back to). */
        public Builder keepGenerations(int count) {
            this.keepGenerations = options.once("keepGenerations", count);
            return this;
        }

        /**
         * The last fallback: when nothing is installed and no artifact can be, embed {@code corpus} (bundled
         * with the app) locally with {@code embedder}, so search works offline from the first start.
         */
        public Builder localRebuild(Corpus corpus, Embedder embedder) {
            Objects.requireNonNull(corpus, "localRebuild corpus");
            this.rebuildEmbedder = options.once("localRebuild", Objects.requireNonNull(embedder, "localRebuild embedder"),
                    "a corpus and an embedder of " + embedder.model().id());
            this.rebuildCorpus = corpus;
            return this;
        }

        /**
         * An artifact bundled with the app (typically a {@code ClasspathArtifactSource}) for an offline first
         * start: installed, with every check but expiry, when nothing is installed and the source cannot be
         * reached. The next check that reaches the source moves on from it as from any installed version.
         */
        public Builder baseline(ArtifactSource baseline) {
            this.baseline = options.once("baseline", baseline);
            return this;
        }

        /** How often background checks run (default 1 hour). */
        public Builder checkInterval(Duration interval) {
            this.checkInterval = options.once("checkInterval", interval);
            return this;
        }

        /** The random spread of the check interval, as a fraction 0..1 of it (default 0.1). */
        public Builder jitter(double fraction) {
            this.jitter = options.once("jitter", fraction);
            return this;
        }

        /** The first delay after a failed check; it doubles with every further failure (default 30 s). */
        public Builder failureBackoff(Duration delay) {
            this.failureBackoff = options.once("failureBackoff", delay);
            return this;
        }

        /** Runs background checks on the app's scheduler instead of a daemon thread of the client's own. */
        public Builder scheduler(ScheduledExecutorService scheduler) {
            this.scheduler = options.once("scheduler", scheduler);
            return this;
        }

        /**
         * Checks the configuration and opens the client's local state.
         *
         * @throws IllegalStateException naming every missing or inconsistent setting
         * @throws IOException           when the state directory cannot be read or created
         */
        public NylaSync build() throws IOException {
            List<String> problems = new ArrayList<>();
            if (source == null) {
                problems.add("source(...) is required: where artifacts come from (HttpArtifactSource, "
                        + "DirectoryArtifactSource, ClasspathArtifactSource)");
            }
            if (store == null) {
                problems.add("store(...) is required: the vector store to keep in sync");
            }
            if (keys.isEmpty()) {
                problems.add("publicKey(...) is required: the publisher's Ed25519 key that manifests must be signed with");
            }
            if (expectedModel == null && !anyModel) {
                problems.add("queryEmbedder(...) or expectedModel(...) is required: the model guard refuses artifacts "
                        + "of another model (acceptAnyModel() turns it off)");
            }
            if (expectedModel != null && anyModel) {
                problems.add("acceptAnyModel() contradicts queryEmbedder/expectedModel; choose one");
            }
            if (keyThreshold < 1 || keyThreshold > Math.max(1, keys.size())) {
                problems.add("keyThreshold: expected 1.." + Math.max(1, keys.size()) + " (the number of pinned keys) but was "
                        + keyThreshold);
            }
            if (pinnedKeysVersion < 0) {
                problems.add("pinnedKeysVersion: expected 0 or more but was " + pinnedKeysVersion);
            }
            if (maxManifestBytes < 1024) {
                problems.add("maxManifestBytes: expected at least 1024 but was " + maxManifestBytes);
            }
            if (keepGenerations < 1) {
                problems.add("keepGenerations: expected at least 1 but was " + keepGenerations);
            }
            if (checkInterval.compareTo(Duration.ofSeconds(1)) < 0) {
                problems.add("checkInterval: expected at least 1 s but was " + checkInterval);
            }
            if (!(jitter >= 0 && jitter <= 1)) {
                problems.add("jitter: expected a fraction in 0..1 but was " + jitter);
            }
            if (failureBackoff.isNegative() || failureBackoff.isZero()) {
                problems.add("failureBackoff: expected a positive duration but was " + failureBackoff);
            }
            if (rebuildEmbedder != null && expectedModel != null
                    && !rebuildEmbedder.model().isCompatibleWith(expectedModel)) {
                problems.add("localRebuild embedder model " + rebuildEmbedder.model().id()
                        + " differs from the query model " + expectedModel.id());
            }
            if (!problems.isEmpty()) {
                throw new IllegalStateException("NylaSync configuration: " + String.join("; ", problems));
            }
            Optional<Path> state = stateDirectory != null ? Optional.of(stateDirectory)
                    : store.directory().map(d -> d.resolve("sync"));
            TrustRoot pins = new TrustRoot(pinnedKeysVersion, keyThreshold, List.copyOf(keys.values()), Map.of());
            SyncConfig config = new SyncConfig(source, store, pins, Optional.ofNullable(expectedModel),
                    approver != null, approver == null ? offer -> true : approver, condition, metered, allowDowngrade,
                    clientId, state, listener, clock, maxManifestBytes, keepGenerations,
                    Optional.ofNullable(rebuildCorpus), Optional.ofNullable(rebuildEmbedder), Optional.ofNullable(baseline));
            return new NylaSync(this, config);
        }
    }
}
