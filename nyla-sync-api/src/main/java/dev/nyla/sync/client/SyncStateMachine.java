package dev.nyla.sync.client;

import static dev.nyla.sync.client.SyncState.*;

import dev.nyla.sync.ContentHash;
import dev.nyla.sync.MalformedArtifactException;
import dev.nyla.sync.NylaSyncException;
import dev.nyla.sync.UnsupportedFormatException;
import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.artifact.ManifestRequest;
import dev.nyla.sync.artifact.ManifestResponse;
import dev.nyla.sync.nativepayload.NativeFormatStore;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.VectorStore;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
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
 * the order they are tried ({@link RoutePlan}): the store-native payload when the store installs its kind
 * (reusing local files, then downloading all; {@link NativePayloadInstall}), then the records (delta, full
 * gzip, full plain; a delta no smaller than the full payload after them; {@link RecordsInstall}), then a
 * {@link LocalRebuild}.
 *
 * <p>Verification follows TUF's order ({@link ManifestVerifier}): manifest size cap (the source enforces it)
 * → the site's new key documents, if any ({@link KeyChain}) → Ed25519 signature with the trusted keys →
 * version not below the trusted one (equal: nothing to do) → not expired → model guard → each file's size
 * cap and SHA-256 while streaming ({@link Downloads}). The gates an offer passes are {@link UpdateGates}.
 *
 * <p>The old generation serves until {@link VectorStore#activate} switches to the new one
 * ({@link GenerationSwitch}); every failure before that leaves it untouched, and a failure after it
 * activates the old one again. Runs are serialized.
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
    private final ManifestVerifier verifier;
    private final UpdateGates gates;
    private final Downloads downloads;
    private final InstalledManifests manifests;
    private final GenerationSwitch generations;
    private final Optional<LocalRebuild> rebuild;
    private final SyncEvents events;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile SyncState state = IDLE;
    private volatile SyncStatus published;

    SyncStateMachine(SyncConfig config, Path downloadDir) throws IOException {
        this.config = config;
        this.store = config.store();
        this.events = new SyncEvents(config.listener());
        this.local = LocalState.load(config.stateDirectory(), config.clientId());
        this.verifier = new ManifestVerifier(KeyChain.open(config.pinnedKeys(), config.stateDirectory()),
                config.allowDowngrade(), config.expectedModel());
        this.gates = new UpdateGates(config);
        this.downloads = new Downloads(downloadDir);
        this.manifests = new InstalledManifests(store.location(), config.stateDirectory());
        this.generations = new GenerationSwitch(store, local, manifests, downloads, config.keepGenerations(),
                config.clock());
        this.rebuild = config.rebuildCorpus().map(corpus -> new LocalRebuild(store, corpus,
                config.rebuildEmbedder().orElseThrow(), events));
        // A crash between activating a generation and saving the state leaves the store one version ahead of
        // the state: the store is right (the generation was verified before it was activated).
        Optional<Generation> active = store.activeGeneration();
        if (local.storeIsAhead(active)) {
            LOG.info("{}: trusting version {} found active in the store (the state file said {})",
                    store.location(), active.get().version(), local.trustedVersion);
            local.trustedVersion = active.get().version();
            local.etag = "";
        }
        // Writes only on the first start (the new client id) or after the correction above; otherwise the
        // file already says this.
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

    Optional<Manifest> installedManifest() throws IOException {
        return manifests.of(store.activeGeneration());
    }

    // ------------------------------------------------------------------------------------------------ a run

    /**
     * One check, and an install when one is due. Never throws for a failed check or install: the result says
     * what happened and the listener heard about it. {@code forced} skips the ETag, rollout, condition,
     * metered and approval gates and reinstalls the offered version in full even when it is installed.
     */
    SyncResult run(boolean forced) throws IOException {
        enter();
        try {
            SyncRun run = new SyncRun(store, config.source());
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
                    events.emit(l -> l.stateChanged(from, IDLE));
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
        noteOutcome(result.outcome());
        // After an install this changes nothing (swap saved the outcome with the new trust) and writes nothing.
        saveQuietly();
        if (result.outcome() != SyncResult.Outcome.FAILED) {
            events.emit(l -> l.completed(result));
        }
        return result;
    }

    private void noteOutcome(SyncResult.Outcome outcome) {
        local.lastResult = outcome;
        local.consecutiveFailures = outcome == SyncResult.Outcome.FAILED ? local.consecutiveFailures + 1 : 0;
    }

    int consecutiveFailures() {
        return local.consecutiveFailures;
    }

    private SyncResult check(SyncRun run, boolean forced) throws IOException {
        move(CHECKING);
        events.emit(l -> l.checkStarted(local.trustedVersion));
        Instant now = config.clock().instant();
        local.lastCheck = now;
        Optional<Generation> active = store.activeGeneration();
        // A conditional request only when an artifact version is active and its manifest has not expired: a
        // local rebuild (version 0) must be replaced, and a source answering "not modified" forever must not
        // hide that the publisher stopped re-signing (TUF's freeze attack).
        boolean artifactActive = active.isPresent() && active.get().version() != 0;
        boolean expired = manifests.of(active).map(m -> !now.isBefore(m.expiresAt())).orElse(false);
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
            generations.discardDownloads();
            events.emit(l -> l.checkFinished(0, false));
            move(UP_TO_DATE);
            return run.result(SyncResult.Outcome.UP_TO_DATE, Optional.empty(), Optional.empty());
        }
        ManifestResponse.Fetched fetched = (ManifestResponse.Fetched) response;
        String name = run.source.describe(Manifest.FILE_NAME);
        // A baseline bundled in the application is as old as the application: its expiry is not held against it.
        Manifest manifest = verifier.verify(run.source, fetched, name, now, local.trustedVersion,
                run.source == config.source());
        run.offered = manifest;
        run.fullBytes = RoutePlan.smallestEncoding(manifest);
        boolean installed = artifactActive && manifest.version() == local.trustedVersion;
        if (installed && !forced) {
            run.step("version " + manifest.version() + " is installed");
            generations.discardDownloads();
            events.emit(l -> l.checkFinished(manifest.version(), false));
            move(UP_TO_DATE);
            local.etag = fetched.etag();
            local.manifestSha256 = ContentHash.sha256Hex(fetched.manifest());
            return run.result(SyncResult.Outcome.UP_TO_DATE, Optional.empty(), Optional.empty());
        }

        RoutePlan plan = RoutePlan.of(run, manifest, name, active, store instanceof NativeFormatStore n ? n.nativeInstaller() : null,
                rebuild.isPresent(), forced);
        if (plan.routes().isEmpty()) {
            throw new UnsupportedFormatException(name, "payload files", "a gzip or uncompressed record file",
                    "none this client can install");
        }
        InstallRoute first = plan.routes().get(0);
        UpdateOffer offer = new UpdateOffer(manifest, manifests.of(active).orElse(null),
                active.map(Generation::version).orElse(0L), first, plan.downloadBytes(manifest, active, first));
        move(UPDATE_AVAILABLE);
        run.step("update available: " + offer);
        events.emit(l -> l.checkFinished(manifest.version(), true));
        events.emit(l -> l.updateAvailable(offer));
        if (!forced) {
            Optional<SyncResult.Outcome> gate = gate(offer, active.isPresent());
            if (gate.isPresent()) {
                run.step("not installing version " + manifest.version() + ": " + gate.get());
                move(UP_TO_DATE);
                events.emit(l -> l.skipped(manifest, gate.get()));
                return run.result(gate.get(), Optional.empty(), Optional.empty());
            }
        }
        return install(run, manifest, fetched, plan);
    }

    /** Why an offered update is not installed now, if it is not: the automatic gates, then the approver. */
    private Optional<SyncResult.Outcome> gate(UpdateOffer offer, boolean somethingServes) {
        Optional<SyncResult.Outcome> closed = gates.automatic(offer, somethingServes, local.clientId);
        if (closed.isPresent() || !gates.needsApproval()) {
            return closed;
        }
        move(AWAITING_APPROVAL);
        events.emit(l -> l.approvalNeeded(offer));
        return gates.approved(offer) ? Optional.empty() : Optional.of(SyncResult.Outcome.DECLINED);
    }

    // --------------------------------------------------------------------------------------------- install

    /** Tries the plan's routes in order until one installs; each failure falls back to the next route. */
    private SyncResult install(SyncRun run, Manifest m, ManifestResponse.Fetched fetched, RoutePlan plan)
            throws IOException {
        List<InstallRoute> routes = plan.routes();
        String manifestSha256 = ContentHash.sha256Hex(fetched.manifest());
        IOException last = null;
        for (int i = 0; i < routes.size(); i++) {
            InstallRoute route = routes.get(i);
            run.fullBytes = plan.fullBytes(m, route);
            Generation built;
            try {
                built = build(run, m, manifestSha256, route, plan);
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
                    events.emit(l -> l.fallback(route, next, cause));
                }
                continue;
            }
            if (route == InstallRoute.LOCAL_REBUILD) {
                swap(run, built, null, null, SyncResult.Outcome.REBUILT_LOCALLY);
                return run.result(SyncResult.Outcome.REBUILT_LOCALLY, Optional.of(route), Optional.ofNullable(last));
            }
            swap(run, built, m, fetched, SyncResult.Outcome.INSTALLED);
            return run.result(SyncResult.Outcome.INSTALLED, Optional.of(route), Optional.empty());
        }
        throw last;
    }

    /** One route's pass through DOWNLOADING → VERIFYING → INSTALLING (a local rebuild: INSTALLING only). */
    private Generation build(SyncRun run, Manifest m, String manifestSha256, InstallRoute route, RoutePlan plan)
            throws IOException {
        if (route == InstallRoute.LOCAL_REBUILD) {
            move(INSTALLING);
            return rebuild.orElseThrow().build(run);
        }
        RouteInstall.Context context = new RouteInstall.Context(run, store, downloads, events, m, manifestSha256,
                route);
        try (RouteInstall pass = route.isNative()
                ? new NativePayloadInstall(context, plan.installer(), plan.nativePayload())
                : new RecordsInstall(context)) {
            move(DOWNLOADING);
            pass.download();
            run.bytes += downloads.takeFetchedBytes();
            move(VERIFYING);
            pass.verified();
            move(INSTALLING);
            return pass.install();
        }
    }

    /** With nothing installed and no artifact reachable: the local rebuild if configured, else the failure. */
    private SyncResult rebuildOrThrow(SyncRun run, IOException why) throws IOException {
        if (rebuild.isEmpty()) {
            throw why;
        }
        run.step("no artifact reachable (" + why.getMessage() + "); nothing is installed, so rebuilding locally");
        move(INSTALLING);
        Generation built = rebuild.get().build(run);
        swap(run, built, null, null, SyncResult.Outcome.REBUILT_LOCALLY);
        return run.result(SyncResult.Outcome.REBUILT_LOCALLY, Optional.of(InstallRoute.LOCAL_REBUILD), Optional.of(why));
    }

    // ------------------------------------------------------------------------------------------------ swap

    /**
     * Activates {@code built} and records the version as trusted, with the run's {@code outcome}, in one
     * save of the state; when that cannot be completed, activates the previous generation again. {@code m}
     * is null for a local rebuild, which changes no trust.
     */
    private void swap(SyncRun run, Generation built, Manifest m, ManifestResponse.Fetched fetched,
                      SyncResult.Outcome outcome) throws IOException {
        move(SWAPPING);
        Optional<Generation> previous = generations.activate(built, m, fetched);
        events.emit(l -> l.swapped(previous.orElse(null), built));
        LocalState.Trust before = local.trusted();
        SyncResult.Outcome resultBefore = local.lastResult;
        int failuresBefore = local.consecutiveFailures;
        // Saved with the trust, so that the run's final save finds nothing new to write.
        noteOutcome(outcome);
        try {
            generations.recordInstall(built, m, fetched);
        } catch (IOException | RuntimeException e) {
            if (previous.isEmpty()) {
                // Nothing to go back to: the new generation serves, and the next start trusts it from the store.
                LOG.warn("{}: version {} is active but the sync state could not be saved: {}", store.location(),
                        built.version(), e.toString());
                run.step("installed, but the sync state could not be saved: " + e.getMessage());
            } else {
                move(ROLLING_BACK);
                local.trust(before);
                local.lastResult = resultBefore;
                local.consecutiveFailures = failuresBefore;
                try {
                    store.activate(previous.get().id());
                } catch (IOException | RuntimeException again) {
                    e.addSuppressed(again);
                    throw e;
                }
                GenerationSwitch.discard(store, built);
                events.emit(l -> l.rolledBack(previous.get(), "could not record the install: " + e.getMessage()));
                run.step("rolled back to version " + previous.get().version() + ": " + e.getMessage());
                throw e;
            }
        }
        move(COMMITTED);
        run.step("version " + built.version() + " active (generation " + built.id() + ", " + built.recordCount()
                + " records)");
        generations.cleanUp(built, previous);
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
            events.emit(l -> l.rolledBack(g, "requested"));
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
            local.trust(new LocalState.Trust(0, "", "", true));
            local.save();
            publish();
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------------------------------- plumbing

    private SyncResult fail(SyncRun run, SyncState stage, IOException e) throws IOException {
        LOG.warn("{}: sync failed while {}: {}", store.location(), stage, e.getMessage());
        if (state != FAILED) {
            move(FAILED);
        }
        run.bytes += downloads.takeFetchedBytes();
        run.step("failed while " + stage + ": " + e.getMessage());
        local.record(config.clock().instant(), "failure", run.offered == null ? 0 : run.offered.version(),
                stage + ": " + e.getMessage());
        events.emit(l -> l.failed(stage, e));
        return run.result(SyncResult.Outcome.FAILED, Optional.empty(), Optional.of(e));
    }

    private void move(SyncState next) {
        SyncState from = state;
        if (!TRANSITIONS.getOrDefault(from, Set.of()).contains(next)) {
            throw new IllegalStateException("sync state machine: no transition from " + from + " to " + next);
        }
        state = next;
        LOG.debug("{}: {} -> {}", store.location(), from, next);
        events.emit(l -> l.stateChanged(from, next));
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
}
