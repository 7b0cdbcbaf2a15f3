package dev.nyla.sync.client;

import static dev.nyla.sync.client.SyncState.*;

import dev.nyla.sync.ContentHash;
import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.NylaSyncException;
import dev.nyla.sync.SourceRecord;
import dev.nyla.sync.artifact.ArtifactSource;
import dev.nyla.sync.artifact.internal.Artifacts;
import dev.nyla.sync.store.Compression;
import dev.nyla.sync.artifact.Delta;
import dev.nyla.sync.artifact.DowngradeException;
import dev.nyla.sync.artifact.ExpiredManifestException;
import dev.nyla.sync.IntegrityException;
import dev.nyla.sync.MalformedArtifactException;
import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.artifact.internal.ManifestCodec;
import dev.nyla.sync.artifact.ManifestRequest;
import dev.nyla.sync.artifact.ManifestResponse;
import dev.nyla.sync.artifact.ModelMismatchException;
import dev.nyla.sync.store.Payload;
import dev.nyla.sync.store.PayloadFile;
import dev.nyla.sync.internal.RecordEntry;
import dev.nyla.sync.internal.RecordFileKind;
import dev.nyla.sync.internal.RecordFileReader;
import dev.nyla.sync.UnsupportedFormatException;
import dev.nyla.sync.embed.Embedder;
import dev.nyla.sync.corpus.Corpus;
import dev.nyla.sync.internal.DurableFiles;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.GenerationSpec;
import dev.nyla.sync.store.GenerationWriter;
import dev.nyla.sync.store.NativeInstall;
import dev.nyla.sync.store.NativeInstaller;
import dev.nyla.sync.store.VectorStore;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sync state machine: every state and transition of a run is in this file.
 *
 * <pre>
 * IDLE → CHECKING ─┬→ UP_TO_DATE ──────────────────────────────────────────────→ IDLE
 *                  └→ UPDATE_AVAILABLE ─(manual)→ AWAITING_APPROVAL ─┐
 *                        │ (rollout / condition / metered / declined → UP_TO_DATE) │
 *                        └──────────────→ DOWNLOADING → VERIFYING → INSTALLING → SWAPPING → COMMITTED → IDLE
 *   any step ──→ FAILED → IDLE            (a failed route falls back to the next: DOWNLOADING or INSTALLING again)
 *   SWAPPING ──→ ROLLING_BACK → FAILED    (the new generation was active but could not be recorded)
 * </pre>
 *
 * <p>Routes, each a pass through DOWNLOADING → VERIFYING → INSTALLING (a local rebuild: INSTALLING only), in
 * the order they are tried: the store-native payload when the store installs its kind (reusing local files,
 * then downloading all), then the records (delta, full gzip, full plain; a delta no smaller than the full
 * payload after them), then a local rebuild.
 *
 * <p>Verification follows TUF's order: manifest size cap (the source enforces it) → the site's new key
 * documents, if any ({@link KeyChain}) → Ed25519 signature with the trusted keys → version not below the
 * trusted one (equal: nothing to do) → not expired → model guard → each file's size cap and SHA-256 while
 * streaming. The model guard runs before any download: the model is named
 * in the signed manifest, so refusing early saves the download and changes nothing else.
 *
 * <p>The old generation serves until {@link VectorStore#activate} switches to the new one; every failure
 * before that leaves it untouched, and a failure after it activates the old one again. Runs are serialized.
 */
final class SyncStateMachine {
    private static final Logger LOG = LoggerFactory.getLogger(SyncStateMachine.class);
    private static final Map<SyncState, Set<SyncState>> TRANSITIONS = new EnumMap<>(SyncState.class);

    static {
        TRANSITIONS.put(IDLE, EnumSet.of(CHECKING));
        // INSTALLING straight from CHECKING: the source is unreachable and a local rebuild is the only way.
        TRANSITIONS.put(CHECKING, EnumSet.of(UP_TO_DATE, UPDATE_AVAILABLE, INSTALLING, FAILED));
        TRANSITIONS.put(UPDATE_AVAILABLE, EnumSet.of(AWAITING_APPROVAL, DOWNLOADING, INSTALLING, UP_TO_DATE, FAILED));
        TRANSITIONS.put(AWAITING_APPROVAL, EnumSet.of(DOWNLOADING, INSTALLING, UP_TO_DATE, FAILED));
        // DOWNLOADING or INSTALLING again: a route failed and the next one starts (native → native or records,
        // records → records, any → local rebuild), whichever of these three states the failed route was in.
        TRANSITIONS.put(DOWNLOADING, EnumSet.of(VERIFYING, DOWNLOADING, INSTALLING, FAILED));
        TRANSITIONS.put(VERIFYING, EnumSet.of(INSTALLING, DOWNLOADING, FAILED));
        TRANSITIONS.put(INSTALLING, EnumSet.of(SWAPPING, DOWNLOADING, INSTALLING, FAILED));
        TRANSITIONS.put(SWAPPING, EnumSet.of(COMMITTED, ROLLING_BACK, FAILED));
        TRANSITIONS.put(ROLLING_BACK, EnumSet.of(FAILED));
        TRANSITIONS.put(COMMITTED, EnumSet.of(IDLE));
        TRANSITIONS.put(UP_TO_DATE, EnumSet.of(IDLE));
        TRANSITIONS.put(FAILED, EnumSet.of(IDLE));
    }

    private final SyncConfig config;
    private final VectorStore store;
    private final LocalState local;
    /** The keys manifests must be signed with, kept current from the site's key documents. */
    private final KeyChain keys;
    private final Downloads downloads;
    private final Optional<Path> manifestsDir;
    /** Installed manifests when there is no state directory. */
    private final Map<Long, byte[]> manifestsInMemory = new HashMap<>();
    private final ReentrantLock lock = new ReentrantLock();
    private volatile SyncState state = IDLE;
    private volatile SyncStatus published;

    SyncStateMachine(SyncConfig config, Path downloadDir) throws IOException {
        this.config = config;
        this.store = config.store();
        this.local = LocalState.load(config.stateDirectory(), config.clientId());
        this.keys = KeyChain.open(config.pinnedKeys(), config.stateDirectory());
        this.downloads = new Downloads(downloadDir);
        this.manifestsDir = config.stateDirectory().map(d -> d.resolve("manifests"));
        if (manifestsDir.isPresent()) {
            Files.createDirectories(manifestsDir.get());
        }
        // A crash between activating a generation and saving the state leaves the store one version ahead of
        // the state: the store is right (the generation was verified before it was activated).
        Optional<Generation> active = store.activeGeneration();
        if (local.storeIsAhead(active)) {
            LOG.info("{}: trusting version {} found active in the store (the state file said {})",
                    store.location(), active.get().version(), local.trustedVersion);
            local.trustedVersion = active.get().version();
            local.etag = "";
        }
        local.save();
        publish();
    }

    /** The status saved in {@code directory}, read without changing anything (see NylaSync.savedStatus). */
    static Optional<SyncStatus> savedStatus(VectorStore store, Path directory) throws IOException {
        Optional<LocalState> saved = LocalState.peek(directory);
        if (saved.isEmpty()) {
            return Optional.empty();
        }
        LocalState s = saved.get();
        Optional<Generation> active = store.activeGeneration();
        long trusted = s.storeIsAhead(active) ? active.get().version() : s.trustedVersion;
        return Optional.of(new SyncStatus(IDLE, trusted, active, store.generations(), s.clientId == null ? "" : s.clientId,
                Optional.ofNullable(s.lastCheck), Optional.ofNullable(s.lastResult), List.copyOf(s.history)));
    }

    SyncStatus status() throws IOException {
        SyncStatus s = published;
        return new SyncStatus(state, s.trustedVersion(), store.activeGeneration(), store.generations(), s.clientId(),
                s.lastCheck(), s.lastResult(), s.history());
    }

    // ------------------------------------------------------------------------------------------------ a run

    /** Per-run bookkeeping for the result. */
    private final class Run {
        final long started = System.nanoTime();
        final long fromVersion;
        final List<String> steps = new ArrayList<>();
        /** The primary source, or the bundled baseline when the primary cannot be reached on a first start. */
        ArtifactSource source = config.source();
        long bytes;
        long fullBytes;
        Manifest offered;

        Run() throws IOException {
            fromVersion = store.activeGeneration().map(Generation::version).orElse(0L);
        }

        SyncResult result(SyncResult.Outcome outcome, Optional<InstallRoute> route, Optional<IOException> failure) {
            long to;
            try {
                to = store.activeGeneration().map(Generation::version).orElse(0L);
            } catch (IOException e) {
                // The run's outcome stands; only the report of the active version is unknown.
                LOG.warn("{}: cannot read the active generation: {}", store.location(), e.getMessage());
                to = fromVersion;
            }
            return new SyncResult(outcome, fromVersion, to, route, bytes, fullBytes, steps,
                    Duration.ofNanos(System.nanoTime() - started), failure);
        }

        void step(String what) {
            steps.add(what);
            LOG.info("{}: {}", store.location(), what);
        }
    }

    /**
     * One check, and an install when one is due. Never throws for a failed check or install: the result says
     * what happened and the listener heard about it. {@code forced} skips the ETag, rollout, condition,
     * metered and approval gates and reinstalls the offered version in full even when it is installed.
     */
    SyncResult run(boolean forced) throws IOException {
        enter();
        try {
            Run run = new Run();
            try {
                SyncResult result = check(run, forced);
                return finish(result);
            } catch (IOException e) {
                return finish(fail(run, state, e));
            } catch (RuntimeException e) {
                // A user callback (condition, approver, metered hook) or an adapter broke its contract.
                return finish(fail(run, state, new NylaSyncException("sync run failed unexpectedly: " + e, e)));
            }
        } finally {
            try {
                if (state != IDLE) {
                    SyncState from = state;
                    // Directly, not through move(): an Error thrown mid-run must not leave the machine stuck.
                    state = IDLE;
                    emit(l -> l.stateChanged(from, IDLE));
                }
            } finally {
                lock.unlock();
            }
        }
    }

    /** Takes the run lock; a listener or callback calling back into the client on the sync thread is refused. */
    private void enter() {
        if (lock.isHeldByCurrentThread()) {
            throw new IllegalStateException("NylaSync was called from one of its own listeners or callbacks; "
                    + "call it from another thread");
        }
        lock.lock();
    }

    /** Waits for a run in progress to finish. */
    void awaitIdle() {
        if (!lock.isHeldByCurrentThread()) {
            lock.lock();
            lock.unlock();
        }
    }

    private SyncResult finish(SyncResult result) throws IOException {
        local.lastResult = result.outcome();
        local.consecutiveFailures = result.outcome() == SyncResult.Outcome.FAILED ? local.consecutiveFailures + 1 : 0;
        saveQuietly();
        if (result.outcome() != SyncResult.Outcome.FAILED) {
            emit(l -> l.completed(result));
        }
        return result;
    }

    int consecutiveFailures() {
        return local.consecutiveFailures;
    }

    private SyncResult check(Run run, boolean forced) throws IOException {
        move(CHECKING);
        emit(l -> l.checkStarted(local.trustedVersion));
        Instant now = config.clock().instant();
        local.lastCheck = now;
        Optional<Generation> active = store.activeGeneration();
        // A conditional request only when an artifact version is active and its manifest has not expired: a
        // local rebuild (version 0) must be replaced, and a source answering "not modified" forever must not
        // hide that the publisher stopped re-signing (TUF's freeze attack).
        boolean artifactActive = active.isPresent() && active.get().version() != 0;
        boolean expired = installedManifest(active).map(m -> !now.isBefore(m.expiresAt())).orElse(false);
        String etag = forced || !artifactActive || expired ? "" : local.etag;
        ManifestResponse response;
        try {
            response = run.source.fetchManifest(new ManifestRequest(etag, config.maxManifestBytes()));
        } catch (IOException e) {
            if (active.isPresent()) {
                throw e;
            }
            if (config.baseline().isEmpty()) {
                return rebuildOrThrow(run, e);
            }
            run.source = config.baseline().get();
            run.step("manifest unavailable from " + config.source().describe() + " (" + e.getMessage()
                    + "); nothing is installed, so installing the bundled baseline from " + run.source.describe());
            try {
                response = run.source.fetchManifest(new ManifestRequest("", config.maxManifestBytes()));
            } catch (IOException baselineFailure) {
                e.addSuppressed(baselineFailure);
                return rebuildOrThrow(run, e);
            }
        }
        if (response instanceof ManifestResponse.NotModified) {
            run.step("manifest not modified since the last check");
            // The saved ETag is the installed version's manifest's: that version is offered.
            discardDownloads();
            emit(l -> l.checkFinished(0, false));
            move(UP_TO_DATE);
            return run.result(SyncResult.Outcome.UP_TO_DATE, Optional.empty(), Optional.empty());
        }
        ManifestResponse.Fetched fetched = (ManifestResponse.Fetched) response;
        String name = run.source.describe(Manifest.FILE_NAME);
        // A baseline bundled in the application is as old as the application: its expiry is not held against it.
        Manifest manifest = verify(run.source, fetched, name, now, run.source == config.source());
        run.offered = manifest;
        run.fullBytes = smallestEncoding(manifest);
        boolean installed = artifactActive && manifest.version() == local.trustedVersion;
        if (installed && !forced) {
            run.step("version " + manifest.version() + " is installed");
            discardDownloads();
            emit(l -> l.checkFinished(manifest.version(), false));
            move(UP_TO_DATE);
            local.etag = fetched.etag();
            local.manifestSha256 = ContentHash.sha256Hex(fetched.manifest());
            return run.result(SyncResult.Outcome.UP_TO_DATE, Optional.empty(), Optional.empty());
        }

        Plan plan = plan(run, manifest, name, active, forced);
        if (plan.routes().isEmpty()) {
            throw new UnsupportedFormatException(name, "payload files", "a gzip or uncompressed record file",
                    "none this client can install");
        }
        InstallRoute first = plan.routes().get(0);
        UpdateOffer offer = new UpdateOffer(manifest, installedManifest(active).orElse(null),
                active.map(Generation::version).orElse(0L), first, plan.downloadBytes(manifest, active, first));
        move(UPDATE_AVAILABLE);
        run.step("update available: " + offer);
        emit(l -> l.checkFinished(manifest.version(), true));
        emit(l -> l.updateAvailable(offer));
        if (!forced) {
            Optional<SyncResult.Outcome> gate = gate(offer, active.isPresent());
            if (gate.isPresent()) {
                run.step("not installing version " + manifest.version() + ": " + gate.get());
                move(UP_TO_DATE);
                emit(l -> l.skipped(manifest, gate.get()));
                return run.result(gate.get(), Optional.empty(), Optional.empty());
            }
        }
        return install(run, manifest, fetched, plan);
    }

    /**
     * TUF order after the size cap: the site's key documents, signature, version, expiry, then the model guard.
     * (The payload is records in every manifest; whether the store can read a native payload is asked when
     * planning the routes.)
     */
    private Manifest verify(ArtifactSource source, ManifestResponse.Fetched fetched, String name, Instant now,
                            boolean checkExpiry) throws IOException {
        // The source's key documents first (TUF: the root before anything it signs).
        Manifest m = Artifacts.verifyManifest(fetched.manifest(), fetched.signature(), keys.update(source), name);
        if (m.version() < local.trustedVersion && !config.allowDowngrade()) {
            throw new DowngradeException(name, "version", "at least the trusted version " + local.trustedVersion
                    + " (a downgrade needs allowDowngrade)", m.version());
        }
        if (checkExpiry && !now.isBefore(m.expiresAt())) {
            throw new ExpiredManifestException(name, "expiresAt", "a time after now (" + now + ")", m.expiresAt());
        }
        if (config.expectedModel().isPresent() && !config.expectedModel().get().isCompatibleWith(m.model())) {
            throw new ModelMismatchException(name, "embedding model", describe(config.expectedModel().get())
                    + " (the client's query embedder)", describe(m.model()));
        }
        return m;
    }

    private static String describe(EmbeddingModel m) {
        return m.id() + " (" + m.dimension() + " dims, " + m.similarity().wireName() + ", fingerprint "
                + m.fingerprint() + ")";
    }

    /** Why an offered update is not installed now, if it is not. */
    private Optional<SyncResult.Outcome> gate(UpdateOffer offer, boolean somethingServes) {
        Manifest m = offer.offered();
        // A client with nothing installed takes any version: the staged rollout guards users from a new
        // version, and this client has no older one to stay on.
        if (somethingServes && !m.rollout().includes(local.clientId)) {
            return Optional.of(SyncResult.Outcome.NOT_IN_ROLLOUT);
        }
        if (!config.condition().test(offer)) {
            return Optional.of(SyncResult.Outcome.DECLINED);
        }
        if (config.metered().getAsBoolean()) {
            return Optional.of(SyncResult.Outcome.DEFERRED_METERED);
        }
        if (config.manualMode()) {
            move(AWAITING_APPROVAL);
            emit(l -> l.approvalNeeded(offer));
            if (!config.approver().test(offer)) {
                return Optional.of(SyncResult.Outcome.DECLINED);
            }
        }
        return Optional.empty();
    }

    /**
     * The routes to try, in order, and what the native ones install: the store-native payload when there is
     * one for this store (its delta, reusing local files, when the store holds some of them; then all of its
     * files), then the records (delta → full compressed → full uncompressed, the cheapest first by the sizes
     * the manifest declares: a delta no smaller than the full payload's smallest encoding comes after the full
     * routes, as a last resort), then a local rebuild.
     *
     * @param installer        the store's installer for the native routes; null when there are none
     * @param nativePayload    the store-native payload the native routes install; null when there are none
     * @param nativeDeltaBytes what {@link InstallRoute#NATIVE_DELTA} downloads: the files the store lacks
     */
    private record Plan(List<InstallRoute> routes, NativeInstaller installer, Payload nativePayload,
                        long nativeDeltaBytes) {

        /** Bytes {@code route} downloads. */
        long downloadBytes(Manifest m, Optional<Generation> active, InstallRoute route) {
            return switch (route) {
                case NATIVE_DELTA -> nativeDeltaBytes;
                case NATIVE_FULL -> totalSize(nativePayload.files());
                case DELTA -> Artifacts.preferredEncoding(m.deltaFrom(active.orElseThrow().version()).orElseThrow()
                        .files()).size();
                case FULL_COMPRESSED -> fileFor(m.payload().files(), Compression.GZIP).size();
                case FULL_UNCOMPRESSED -> fileFor(m.payload().files(), Compression.NONE).size();
                case LOCAL_REBUILD -> 0;
            };
        }

        /**
         * The size of the full payload {@code route} belongs to, what its download compares with: the native
         * payload's files for native routes, the smallest encoding of the records for the others.
         */
        long fullBytes(Manifest m, InstallRoute route) {
            return route.isNative() ? totalSize(nativePayload.files()) : smallestEncoding(m);
        }
    }

    private Plan plan(Run run, Manifest m, String name, Optional<Generation> active, boolean forced) {
        List<InstallRoute> routes = new ArrayList<>();
        NativeInstaller installer = store.nativeInstaller().orElse(null);
        Payload nativePayload = installer == null ? null : installableNativePayload(run, installer, m, name).orElse(null);
        long nativeDeltaBytes = 0;
        if (nativePayload != null) {
            // A forced update repairs a damaged store: nothing local is trusted, as for the records' delta.
            if (!forced) {
                try {
                    List<PayloadFile> missing = installer.missingFiles(nativePayload);
                    if (missing.size() < nativePayload.files().size()) {
                        routes.add(InstallRoute.NATIVE_DELTA);
                        nativeDeltaBytes = totalSize(missing);
                    }
                } catch (IOException e) {
                    run.step("cannot tell which " + nativePayload.kind() + " files the store holds (" + e.getMessage()
                            + "); downloading all of them");
                }
            }
            routes.add(InstallRoute.NATIVE_FULL);
        }
        Optional<Delta> delta = forced || active.isEmpty() || !active.get().model().isCompatibleWith(m.model())
                ? Optional.empty() : m.deltaFrom(active.get().version());
        long deltaBytes = delta.map(d -> Artifacts.preferredEncoding(d.files()).size()).orElse(0L);
        boolean deltaFirst = delta.isPresent() && deltaBytes < smallestEncoding(m);
        if (deltaFirst) {
            routes.add(InstallRoute.DELTA);
        } else if (delta.isPresent()) {
            run.step("the delta from version " + delta.get().fromVersion() + " (" + deltaBytes + " bytes) is no smaller "
                    + "than the full payload (" + smallestEncoding(m) + " bytes): installing the full payload");
        }
        if (m.payload().files().stream().anyMatch(f -> f.compression() == Compression.GZIP)) {
            routes.add(InstallRoute.FULL_COMPRESSED);
        }
        if (m.payload().files().stream().anyMatch(f -> f.compression() == Compression.NONE)) {
            routes.add(InstallRoute.FULL_UNCOMPRESSED);
        }
        if (delta.isPresent() && !deltaFirst) {
            routes.add(InstallRoute.DELTA);
        }
        if (active.isEmpty() && config.rebuildCorpus().isPresent()) {
            routes.add(InstallRoute.LOCAL_REBUILD);
        }
        return new Plan(routes, installer, nativePayload, nativeDeltaBytes);
    }

    /**
     * The manifest's store-native payload of the kind the store installs, when the store can read it. When it
     * cannot, or there is none, the records serve, as for any other store: a step says why.
     */
    private static Optional<Payload> installableNativePayload(Run run, NativeInstaller installer, Manifest m,
                                                              String name) {
        String kind = installer.kind();
        Optional<Payload> payload = m.nativePayload(kind);
        if (payload.isEmpty()) {
            run.step("version " + m.version() + " has no " + kind + " payload; installing from the records");
            return Optional.empty();
        }
        if (payload.get().files().stream().anyMatch(f -> f.compression() != Compression.NONE)) {
            run.step("the " + kind + " payload is skipped: it has compressed files, and this client hands native "
                    + "files to the store as stored; installing from the records");
            return Optional.empty();
        }
        try {
            installer.checkReadable(payload.get(), name);
        } catch (UnsupportedFormatException e) {
            run.step("the " + kind + " payload is skipped, the store cannot read it: " + e.getMessage()
                    + "; installing from the records");
            return Optional.empty();
        }
        return payload;
    }

    private static long totalSize(List<PayloadFile> files) {
        return files.stream().mapToLong(PayloadFile::size).sum();
    }

    private static long smallestEncoding(Manifest m) {
        return m.payload().files().stream().mapToLong(PayloadFile::size).min().orElse(0);
    }

    private static int percent(long done, long total) {
        return total == 0 ? 100 : (int) (done * 100 / total);
    }

    private static PayloadFile fileFor(List<PayloadFile> files, Compression compression) {
        return files.stream().filter(f -> f.compression() == compression).findFirst().orElseThrow();
    }

    // --------------------------------------------------------------------------------------------- install

    private SyncResult install(Run run, Manifest m, ManifestResponse.Fetched fetched, Plan plan) throws IOException {
        List<InstallRoute> routes = plan.routes();
        String manifestSha256 = ContentHash.sha256Hex(fetched.manifest());
        IOException last = null;
        for (int i = 0; i < routes.size(); i++) {
            InstallRoute route = routes.get(i);
            run.fullBytes = plan.fullBytes(m, route);
            Generation built;
            try {
                built = switch (route) {
                    case LOCAL_REBUILD -> buildLocally(run);
                    case NATIVE_DELTA, NATIVE_FULL -> buildFromNativePayload(run, m, manifestSha256, route,
                            plan.installer(), plan.nativePayload());
                    case DELTA, FULL_COMPRESSED, FULL_UNCOMPRESSED -> buildFromArtifact(run, m, manifestSha256, route);
                };
            } catch (IOException | UncheckedIOException | IllegalArgumentException e) {
                IOException cause = e instanceof IOException io ? io
                        : e instanceof UncheckedIOException u ? u.getCause()
                        : new MalformedArtifactException(run.source.describe(), "payload", "valid records",
                        e.getMessage());
                run.bytes += downloads.takeFetchedBytes();
                InstallRoute next = i + 1 < routes.size() ? routes.get(i + 1) : null;
                if (route == InstallRoute.DELTA && cause instanceof FileNotFoundException && next != null) {
                    // Expected on a site pruned by hand; the full payload is the normal answer, not a failure.
                    run.step("DELTA: the delta from version " + run.fromVersion + " was not found on the source ("
                            + cause.getMessage() + "); installing the full payload instead (" + next + ")");
                } else {
                    run.step(route + " failed: " + cause.getMessage());
                    if (next != null) {
                        run.step("falling back to " + next);
                    }
                }
                if (last != null) {
                    cause.addSuppressed(last);
                }
                last = cause;
                if (next != null) {
                    emit(l -> l.fallback(route, next, cause));
                }
                continue;
            }
            if (route == InstallRoute.LOCAL_REBUILD) {
                swap(run, built, null, null);
                return run.result(SyncResult.Outcome.REBUILT_LOCALLY, Optional.of(route), Optional.ofNullable(last));
            }
            swap(run, built, m, fetched);
            return run.result(SyncResult.Outcome.INSTALLED, Optional.of(route), Optional.empty());
        }
        throw last;
    }

    /** With nothing installed and no artifact reachable: the local rebuild if configured, else the failure. */
    private SyncResult rebuildOrThrow(Run run, IOException why) throws IOException {
        if (config.rebuildCorpus().isEmpty()) {
            throw why;
        }
        run.step("no artifact reachable (" + why.getMessage() + "); nothing is installed, so rebuilding locally");
        return installLocally(run, why);
    }

    /** The local rebuild when the source cannot be reached at all and nothing is installed. */
    private SyncResult installLocally(Run run, IOException why) throws IOException {
        Generation built = buildLocally(run);
        swap(run, built, null, null);
        return run.result(SyncResult.Outcome.REBUILT_LOCALLY, Optional.of(InstallRoute.LOCAL_REBUILD), Optional.of(why));
    }

    private Generation buildFromArtifact(Run run, Manifest m, String manifestSha256, InstallRoute route) throws IOException {
        Optional<Generation> active = store.activeGeneration();
        boolean delta = route == InstallRoute.DELTA;
        Delta d = delta ? m.deltaFrom(active.orElseThrow().version()).orElseThrow() : null;
        PayloadFile file = delta ? Artifacts.preferredEncoding(d.files())
                : fileFor(m.payload().files(), route == InstallRoute.FULL_COMPRESSED ? Compression.GZIP : Compression.NONE);
        move(DOWNLOADING);
        run.step(route + ": downloading " + file.name() + " (" + file.size() + " bytes)");
        emit(l -> l.routeStarted(route, file.size()));
        downloads.fetch(run.source, file, bytes -> emit(l -> l.downloadProgress(file.name(), bytes, file.size(),
                percent(bytes, file.size()))));
        run.bytes += downloads.takeFetchedBytes();
        move(VERIFYING);
        emit(l -> l.verified(file.name(), file.size()));

        move(INSTALLING);
        GenerationSpec spec = spec(m, manifestSha256, route);
        long total = delta ? d.upserts() + d.deletes() : m.records();
        try (GenerationWriter writer = delta ? store.newGeneration(spec, active.get().id()) : store.newGeneration(spec)) {
            try (RecordFileReader reader = Artifacts.openRecordFile(downloads.asSource(), file, m.model().dimension(),
                    m.vectorEncoding())) {
                copy(reader, writer, file, m, d, total);
            } catch (IntegrityException e) {
                // The downloaded copy is damaged (on disk, after it was verified): fetch it again next time.
                downloads.discard(file);
                throw e;
            }
            if (writer.recordCount() != m.records()) {
                throw new IntegrityException(file.name(), "record count after installing version " + m.version(),
                        m.records() + " (manifest)", writer.recordCount());
            }
            // Committed only once the reader is closed, so no failure can leave a committed, unused generation.
            return writer.commit();
        }
    }

    /**
     * Installs a store-native payload: the store names the files it lacks (every file for
     * {@link InstallRoute#NATIVE_FULL}), they are downloaded and verified like any payload file and handed
     * over, and the store runs its own checks as it commits. Nothing is built on the client.
     */
    private Generation buildFromNativePayload(Run run, Manifest m, String manifestSha256, InstallRoute route,
                                              NativeInstaller installer, Payload payload) throws IOException {
        move(DOWNLOADING);
        try (NativeInstall install = installer.begin(spec(m, manifestSha256, route), payload,
                route == InstallRoute.NATIVE_DELTA)) {
            List<PayloadFile> files = install.filesToFetch();
            long total = totalSize(files);
            run.step(route + ": downloading " + files.size() + " of the " + payload.files().size() + " "
                    + payload.kind() + " files (" + total + " bytes)");
            emit(l -> l.routeStarted(route, total));
            List<Path> downloaded = new ArrayList<>(files.size());
            long before = 0;
            for (PayloadFile f : files) {
                long earlier = before;
                downloaded.add(downloads.fetchVerified(run.source, f, bytes -> emit(l -> l.downloadProgress(f.name(),
                        bytes, f.size(), percent(earlier + bytes, total)))));
                before += f.size();
            }
            run.bytes += downloads.takeFetchedBytes();
            move(VERIFYING);
            for (int i = 0; i < files.size(); i++) {
                PayloadFile f = files.get(i);
                emit(l -> l.verified(f.name(), f.size()));
                install.put(f, downloaded.get(i));
            }
            move(INSTALLING);
            Generation built;
            try {
                built = install.commit();
            } catch (IntegrityException e) {
                // A file damaged on disk after it was verified fails the store's own checks: fetch it again next time.
                for (PayloadFile f : files) {
                    downloads.discard(f);
                }
                throw e;
            }
            if (built.recordCount() != m.records()) {
                discard(built);
                throw new IntegrityException(payload.kind() + " payload of version " + m.version(),
                        "record count after installing", m.records() + " (manifest)", built.recordCount());
            }
            emit(l -> l.installProgress(built.recordCount(), m.records(), 100));
            return built;
        }
    }

    private static GenerationSpec spec(Manifest m, String manifestSha256, InstallRoute route) {
        return new GenerationSpec(m.version(), m.label(), m.model(),
                Map.of("manifestSha256", manifestSha256, "route", route.name()));
    }

    /**
     * Hands every entry of {@code reader} to {@code writer}, each record once it passed the {@link RecordChecks};
     * {@code delta} is the manifest's entry for the file when it is a delta, null for a full payload.
     */
    private void copy(RecordFileReader reader, GenerationWriter writer, PayloadFile file, Manifest m, Delta delta,
                      long total) throws IOException {
        RecordFileKind expected = delta != null ? RecordFileKind.DELTA : RecordFileKind.FULL;
        if (reader.kind() != expected) {
            throw new MalformedArtifactException(file.name(), "record file kind", expected, reader.kind());
        }
        RecordChecks checks = new RecordChecks(file.name() + " of version " + m.version(), m.model());
        long n = 0;
        for (Optional<RecordEntry> e; (e = reader.next()).isPresent(); ) {
            switch (e.get()) {
                case RecordEntry.Upsert u -> {
                    checks.check(u.record());
                    writer.add(u.record());
                }
                case RecordEntry.Delete del -> writer.delete(del.tenant(), del.id());
            }
            if (++n % 1000 == 0) {
                long done = n;
                emit(l -> l.installProgress(done, total, (int) Math.min(99, done * 100 / Math.max(1, total))));
            }
        }
        if (delta != null) {
            checks.checkCounts(delta, reader.upserts(), reader.deletes());
        }
        long done = n;
        emit(l -> l.installProgress(done, total, 100));
    }

    private Generation buildLocally(Run run) throws IOException {
        Corpus corpus = config.rebuildCorpus().orElseThrow();
        Embedder embedder = config.rebuildEmbedder().orElseThrow();
        EmbeddingModel model = embedder.model();
        move(INSTALLING);
        run.step(InstallRoute.LOCAL_REBUILD + ": embedding " + corpus.size() + " records with " + model.id());
        emit(l -> l.routeStarted(InstallRoute.LOCAL_REBUILD, 0));
        List<SourceRecord> records = corpus.records();
        int batch = Math.max(1, embedder.preferredBatchSize());
        try (GenerationWriter writer = store.newGeneration(new GenerationSpec(0, "local rebuild", model,
                Map.of("route", InstallRoute.LOCAL_REBUILD.name())))) {
            for (int from = 0; from < records.size(); from += batch) {
                List<SourceRecord> slice = records.subList(from, Math.min(records.size(), from + batch));
                List<float[]> vectors = embedder.embed(slice.stream().map(SourceRecord::text).toList());
                if (vectors.size() != slice.size()) {
                    throw new NylaSyncException(model.id(), "vectors returned for a batch", slice.size(), vectors.size());
                }
                for (int i = 0; i < slice.size(); i++) {
                    writer.add(slice.get(i).toVectorRecord(vectors.get(i), model.fingerprint()));
                }
                long done = from + slice.size();
                emit(l -> l.installProgress(done, records.size(), (int) (done * 100 / records.size())));
            }
            return writer.commit();
        }
    }

    // ------------------------------------------------------------------------------------------------ swap

    /**
     * Activates {@code built} and records the version as trusted; when that cannot be completed, activates
     * the previous generation again. {@code m} is null for a local rebuild, which changes no trust.
     */
    private void swap(Run run, Generation built, Manifest m, ManifestResponse.Fetched fetched) throws IOException {
        move(SWAPPING);
        Optional<Generation> previous = store.activeGeneration();
        try {
            if (m != null) {
                saveManifest(m.version(), fetched);
            }
            store.activate(built.id());
        } catch (IOException | RuntimeException e) {
            discard(built);
            throw e;
        }
        emit(l -> l.swapped(previous.orElse(null), built));
        long trusted = local.trustedVersion;
        String etag = local.etag;
        String sha = local.manifestSha256;
        boolean cleared = local.versionCleared;
        try {
            if (m != null) {
                local.trustedVersion = m.version();
                local.etag = fetched.etag();
                local.manifestSha256 = ContentHash.sha256Hex(fetched.manifest());
                local.versionCleared = false;
            }
            local.record(config.clock().instant(), "install", built.version(),
                    (m == null ? "rebuilt locally" : "installed") + ", " + built.recordCount() + " records");
            local.save();
        } catch (IOException | RuntimeException e) {
            if (previous.isEmpty()) {
                // Nothing to go back to: the new generation serves, and the next start trusts it from the store.
                LOG.warn("{}: version {} is active but the sync state could not be saved: {}", store.location(),
                        built.version(), e.toString());
                run.step("installed, but the sync state could not be saved: " + e.getMessage());
            } else {
                move(ROLLING_BACK);
                local.trustedVersion = trusted;
                local.etag = etag;
                local.manifestSha256 = sha;
                local.versionCleared = cleared;
                try {
                    store.activate(previous.get().id());
                } catch (IOException | RuntimeException again) {
                    e.addSuppressed(again);
                    throw e;
                }
                discard(built);
                emit(l -> l.rolledBack(previous.get(), "could not record the install: " + e.getMessage()));
                run.step("rolled back to version " + previous.get().version() + ": " + e.getMessage());
                throw e;
            }
        }
        move(COMMITTED);
        run.step("version " + built.version() + " active (generation " + built.id() + ", " + built.recordCount()
                + " records)");
        cleanUp(built, previous);
    }

    /** Deletes generations beyond the ones kept for rollback, the downloads, and unneeded manifests. */
    private void cleanUp(Generation current, Optional<Generation> previous) {
        try {
            // Keep the active generation and the one rollback() returns to first, then the newest others.
            List<Generation> byPriority = new ArrayList<>();
            byPriority.add(current);
            previous.ifPresent(byPriority::add);
            for (Generation g : store.generations()) {
                if (byPriority.stream().noneMatch(k -> k.id() == g.id())) {
                    byPriority.add(g);
                }
            }
            List<Long> keptVersions = new ArrayList<>();
            for (int i = 0; i < byPriority.size(); i++) {
                Generation g = byPriority.get(i);
                if (i < Math.max(1, config.keepGenerations())) {
                    keptVersions.add(g.version());
                } else {
                    store.deleteGeneration(g.id());
                }
            }
            downloads.clear();
            if (manifestsDir.isPresent()) {
                try (var files = Files.list(manifestsDir.get())) {
                    for (Path p : (Iterable<Path>) files::iterator) {
                        String v = p.getFileName().toString().replaceAll("\\D.*$", "");
                        if (!v.isEmpty() && !keptVersions.contains(Long.parseLong(v))) {
                            Files.deleteIfExists(p);
                        }
                    }
                }
            } else {
                manifestsInMemory.keySet().retainAll(keptVersions);
            }
        } catch (IOException | RuntimeException e) {
            // The install is complete; what is left over is removed after the next one.
            LOG.warn("{}: cleaning up after the install failed: {}", store.location(), e.toString());
        }
    }

    /**
     * Deletes the downloads when the offered version is the installed one: no install needs them. They are
     * there when a process died after activating a version and before its clean-up; without this they would
     * stay until the next version is installed.
     */
    private void discardDownloads() {
        try {
            downloads.clear();
        } catch (IOException e) {
            LOG.warn("{}: could not delete the downloads of the installed version: {}", store.location(), e.toString());
        }
    }

    private void discard(Generation built) {
        try {
            store.deleteGeneration(built.id());
        } catch (IOException | RuntimeException e) {
            LOG.warn("{}: could not delete the unused generation {}: {}", store.location(), built.id(), e.toString());
        }
    }

    // ---------------------------------------------------------------------------------------- manual actions

    Generation rollback() throws IOException {
        enter();
        try {
            Generation g = store.rollback();
            local.record(config.clock().instant(), "rollback", g.version(), "rolled back to generation " + g.id()
                    + " on request; version " + local.trustedVersion + " stays trusted and is not reinstalled");
            local.save();
            publish();
            emit(l -> l.rolledBack(g, "requested"));
            return g;
        } finally {
            lock.unlock();
        }
    }

    void clearVersion() throws IOException {
        enter();
        try {
            local.record(config.clock().instant(), "clear", local.trustedVersion,
                    "trusted version forgotten; the next check installs what the source serves");
            local.trustedVersion = 0;
            local.etag = "";
            local.manifestSha256 = "";
            local.versionCleared = true;
            local.save();
            publish();
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------------------------------- plumbing

    private SyncResult fail(Run run, SyncState stage, IOException e) throws IOException {
        LOG.warn("{}: sync failed while {}: {}", store.location(), stage, e.getMessage());
        if (state != FAILED) {
            move(FAILED);
        }
        run.bytes += downloads.takeFetchedBytes();
        run.step("failed while " + stage + ": " + e.getMessage());
        local.record(config.clock().instant(), "failure", run.offered == null ? 0 : run.offered.version(),
                stage + ": " + e.getMessage());
        emit(l -> l.failed(stage, e));
        return run.result(SyncResult.Outcome.FAILED, Optional.empty(), Optional.of(e));
    }

    private void move(SyncState next) {
        SyncState from = state;
        if (!TRANSITIONS.getOrDefault(from, Set.of()).contains(next)) {
            throw new IllegalStateException("sync state machine: no transition from " + from + " to " + next);
        }
        state = next;
        LOG.debug("{}: {} -> {}", store.location(), from, next);
        emit(l -> l.stateChanged(from, next));
    }

    private void emit(Consumer<SyncListener> event) {
        try {
            event.accept(config.listener());
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable e) {
            // An AssertionError or a Kotlin TODO() in a listener must not break an install either.
            LOG.warn("sync listener failed (ignored): {}", e.toString(), e);
        }
    }

    private void saveQuietly() {
        try {
            local.save();
        } catch (IOException e) {
            LOG.warn("{}: could not save the sync state: {}", store.location(), e.getMessage());
        }
        publish();
    }

    private void publish() {
        published = new SyncStatus(state, local.trustedVersion, Optional.empty(), List.of(), local.clientId,
                Optional.ofNullable(local.lastCheck), Optional.ofNullable(local.lastResult), List.copyOf(local.history));
    }

    private void saveManifest(long version, ManifestResponse.Fetched fetched) throws IOException {
        if (manifestsDir.isPresent()) {
            // The signature first: a kept manifest always has its signature beside it, so that a later check of
            // the installed generation (the command line's verify) can verify it again with the pinned key.
            DurableFiles.writeAtomically(manifestsDir.get().resolve(version + ".json.sig"), fetched.signature());
            DurableFiles.writeAtomically(manifestsDir.get().resolve(version + ".json"), fetched.manifest());
        } else {
            manifestsInMemory.put(version, fetched.manifest());
        }
    }

    /** The manifest of the active generation's version, when it was installed from an artifact. */
    private Optional<Manifest> installedManifest(Optional<Generation> active) {
        if (active.isEmpty() || active.get().version() == 0) {
            return Optional.empty();
        }
        long v = active.get().version();
        try {
            byte[] bytes = manifestsDir.isPresent() ? Files.readAllBytes(manifestsDir.get().resolve(v + ".json"))
                    : manifestsInMemory.get(v);
            // Verified when it was installed; the state directory is as trusted as the store.
            return bytes == null ? Optional.empty() : Optional.of(ManifestCodec.read(bytes, "installed manifest " + v));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            LOG.warn("{}: installed manifest of version {} unreadable: {}", store.location(), v, e.getMessage());
            return Optional.empty();
        }
    }

}
