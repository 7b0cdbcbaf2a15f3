package dev.nyla.sync.client;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.IntegrityException;
import dev.nyla.sync.LimitExceededException;
import dev.nyla.sync.SourceRecord;
import dev.nyla.sync.artifact.BadSignatureException;
import dev.nyla.sync.artifact.ClasspathArtifactSource;
import dev.nyla.sync.artifact.DirectoryArtifactSource;
import dev.nyla.sync.artifact.DowngradeException;
import dev.nyla.sync.artifact.ExpiredManifestException;
import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.artifact.ModelMismatchException;
import dev.nyla.sync.artifact.Rollout;
import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.artifact.internal.ManifestEdits;
import dev.nyla.sync.corpus.Corpus;
import dev.nyla.sync.demo.HashingEmbedder;
import dev.nyla.sync.publish.PublishResult;
import dev.nyla.sync.publish.Publisher;
import dev.nyla.sync.store.Compression;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.PayloadFile;
import dev.nyla.sync.store.SearchRequest;
import dev.nyla.sync.store.VectorStore;
import dev.nyla.sync.store.internal.FileVectorStore;
import dev.nyla.sync.store.internal.MemoryVectorStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sync client end to end against a real published host directory and real stores. */
class NylaSyncTest {
    private static final List<SourceRecord> V1 = Releases.corpus(400, 1, 100, false);
    private static final List<SourceRecord> V2 = Releases.corpus(400, 2, 100, false);
    private static final List<SourceRecord> V3 = Releases.corpus(400, 3, 100, false);

    @TempDir
    Path dir;
    private Releases releases;
    private final Closer closer = new Closer();
    private final Events events = new Events();

    @BeforeEach
    void setUp() throws IOException {
        releases = new Releases(dir);
    }

    @AfterEach
    void tearDown() throws Exception {
        closer.closeAll();
    }

    /** Records events as short strings, for assertions on what happened in which order. */
    static final class Events implements SyncListener {
        final List<String> log = Collections.synchronizedList(new ArrayList<>());
        final List<IOException> failures = Collections.synchronizedList(new ArrayList<>());
        final List<UpdateOffer> offers = Collections.synchronizedList(new ArrayList<>());
        volatile long lastDownloadBytes;
        volatile long lastDownloadTotal;

        @Override
        public void stateChanged(SyncState from, SyncState to) {
            log.add(to.name());
        }

        @Override
        public void updateAvailable(UpdateOffer offer) {
            offers.add(offer);
        }

        @Override
        public void approvalNeeded(UpdateOffer offer) {
            log.add("approvalNeeded " + offer.offered().version());
        }

        @Override
        public void downloadProgress(String file, long bytes, long totalBytes, int stagePercent) {
            lastDownloadBytes = bytes;
            lastDownloadTotal = totalBytes;
        }

        @Override
        public void fallback(InstallRoute failed, InstallRoute next, IOException cause) {
            log.add("fallback " + failed + " -> " + next);
        }

        @Override
        public void failed(SyncState stage, IOException cause) {
            failures.add(cause);
        }

        @Override
        public void rolledBack(Generation current, String reason) {
            log.add("rolledBack " + current.version());
        }

        List<String> states() {
            return log.stream().filter(s -> s.equals(s.toUpperCase())).toList();
        }
    }

    private NylaSync.Builder builder(VectorStore store) {
        return builder(store, events);
    }

    /** A builder whose events go to {@code listener} (a builder takes one listener). */
    private NylaSync.Builder builder(VectorStore store, SyncListener listener) {
        return unguarded(store).queryEmbedder(Releases.EMBEDDER).listener(listener);
    }

    /** A builder without the model guard's setting, for a test that sets its own. */
    private NylaSync.Builder unguarded(VectorStore store) {
        return NylaSync.builder().source(new DirectoryArtifactSource(releases.host)).store(store)
                .publicKey(Releases.KEYS.getPublic());
    }

    private NylaSync client(VectorStore store) throws IOException {
        NylaSync s = builder(store).build();
        closeLater(s);
        return s;
    }

    /** Publishes version 1 and installs it into {@code store} through a new client, which is returned. */
    private NylaSync installedV1(MemoryVectorStore store) throws IOException {
        releases.publish(V1);
        NylaSync sync = client(store);
        SyncResult r = sync.checkNow();
        assertEquals(SyncResult.Outcome.INSTALLED, r.outcome(), r.steps().toString());
        return sync;
    }

    private <T extends AutoCloseable> T closeLater(T c) {
        return closer.later(c);
    }

    private static long activeVersion(VectorStore store) throws IOException {
        return store.activeGeneration().map(Generation::version).orElse(0L);
    }



    @Test
    void firstSyncInstallsTheFullPayloadThenTheUnchangedManifestIsNotModified() throws IOException {
        releases.publish(V1);
        MemoryVectorStore store = new MemoryVectorStore();
        NylaSync sync = client(store);
        SyncResult first = sync.checkNow();
        assertEquals(SyncResult.Outcome.INSTALLED, first.outcome(), first.steps().toString());
        assertEquals(InstallRoute.FULL_COMPRESSED, first.route().orElseThrow());
        assertEquals(List.of("CHECKING", "UPDATE_AVAILABLE", "DOWNLOADING", "VERIFYING", "INSTALLING", "SWAPPING",
                "COMMITTED", "IDLE"), events.states());
        assertEquals(events.lastDownloadTotal, events.lastDownloadBytes);
        assertEquals(first.bytesDownloaded(), first.fullPayloadBytes());
        assertEquals(Releases.expected(V1), Releases.contents(store));
        assertEquals(1, sync.status().trustedVersion());

        SyncResult second = sync.checkNow();
        assertEquals(SyncResult.Outcome.UP_TO_DATE, second.outcome());
        assertTrue(second.steps().get(0).contains("not modified"), second.steps().toString());
        assertEquals(0, second.bytesDownloaded());
    }

    @Test
    void aSmallChangeIsInstalledFromTheDeltaAndGivesTheSameStoreAsAFullInstall() throws IOException {
        MemoryVectorStore store = new MemoryVectorStore();
        NylaSync sync = installedV1(store);
        PublishResult v2 = releases.publish(V2);
        SyncResult r = sync.checkNow();
        assertEquals(SyncResult.Outcome.INSTALLED, r.outcome(), r.steps().toString());
        assertEquals(InstallRoute.DELTA, r.route().orElseThrow());
        assertEquals(v2.deltaBytes(), r.bytesDownloaded());
        assertTrue(r.bytesDownloaded() * 5 < r.fullPayloadBytes(), r.bytesDownloaded() + " vs " + r.fullPayloadBytes());
        assertEquals(1, r.fromVersion());
        assertEquals(2, r.toVersion());

        MemoryVectorStore fresh = new MemoryVectorStore();
        assertEquals(SyncResult.Outcome.INSTALLED, client(fresh).checkNow().outcome());
        assertEquals(Releases.contents(fresh), Releases.contents(store));
        assertEquals(Releases.expected(V2), Releases.contents(store));
    }

    @Test
    void aDeltaNoSmallerThanTheFullPayloadIsTriedOnlyAfterIt() throws IOException {
        MemoryVectorStore store = new MemoryVectorStore();
        NylaSync sync = installedV1(store);
        // Every key of version 1 deleted and as many new ones added: the delta holds the whole version and more.
        List<SourceRecord> renamed = V2.stream().map(s -> new SourceRecord(s.tenant(), "renamed-" + s.id(), s.text(),
                s.metadata())).toList();
        Manifest m2 = releases.publish(renamed).manifest();
        PayloadFile delta = m2.deltaFrom(1).orElseThrow().files().get(0);
        PayloadFile fullGzip = file(m2, Compression.GZIP);
        assertTrue(delta.size() >= fullGzip.size(), delta.size() + " vs " + fullGzip.size());

        SyncResult r = sync.checkNow();
        assertEquals(SyncResult.Outcome.INSTALLED, r.outcome(), r.steps().toString());
        assertEquals(InstallRoute.FULL_COMPRESSED, r.route().orElseThrow());
        assertEquals(fullGzip.size(), r.bytesDownloaded());
        assertEquals(InstallRoute.FULL_COMPRESSED, events.offers.get(events.offers.size() - 1).route());
        assertTrue(r.steps().stream().anyMatch(s -> s.contains("is no smaller than the full payload")), r.steps().toString());
        assertEquals(Releases.expected(renamed), Releases.contents(store));
    }

    @Test
    void aDeltaMissingFromTheSourceFallsBackToTheFullPayloadWithOneClearStep() throws IOException {
        MemoryVectorStore store = new MemoryVectorStore();
        NylaSync sync = installedV1(store);
        Manifest m2 = releases.publish(V2).manifest();
        Files.delete(releases.host.resolve(m2.deltaFrom(1).orElseThrow().files().get(0).name()));

        SyncResult r = sync.checkNow();
        assertEquals(SyncResult.Outcome.INSTALLED, r.outcome(), r.steps().toString());
        assertEquals(InstallRoute.FULL_COMPRESSED, r.route().orElseThrow());
        List<String> said = r.steps().stream().filter(s -> s.contains("not found") || s.contains("failed")
                || s.contains("falling back")).toList();
        assertEquals(1, said.size(), r.steps().toString());
        assertTrue(said.get(0).contains("the delta from version 1 was not found on the source")
                && said.get(0).contains("installing the full payload instead (FULL_COMPRESSED)"), said.get(0));
        assertTrue(events.log.contains("fallback DELTA -> FULL_COMPRESSED"), events.log.toString());
        assertEquals(Releases.expected(V2), Releases.contents(store));
    }

    @Test
    void corruptFilesFallBackAlongTheChainAndTheLastGoodRouteInstalls() throws IOException {
        MemoryVectorStore store = new MemoryVectorStore();
        NylaSync sync = installedV1(store);
        Manifest m2 = releases.publish(V2).manifest();
        corrupt(m2.deltas().get(0).files().get(0));
        corrupt(file(m2, Compression.GZIP));
        SyncResult r = sync.checkNow();
        assertEquals(SyncResult.Outcome.INSTALLED, r.outcome(), r.steps().toString());
        assertEquals(InstallRoute.FULL_UNCOMPRESSED, r.route().orElseThrow());
        assertTrue(events.log.contains("fallback DELTA -> FULL_COMPRESSED"), events.log.toString());
        assertTrue(events.log.contains("fallback FULL_COMPRESSED -> FULL_UNCOMPRESSED"), events.log.toString());
        assertTrue(r.steps().stream().anyMatch(s -> s.contains("sha256")), r.steps().toString());
        assertEquals(Releases.expected(V2), Releases.contents(store));
    }

    @Test
    void whenEveryRouteFailsTheOldVersionKeepsServing() throws IOException {
        MemoryVectorStore store = new MemoryVectorStore();
        NylaSync sync = installedV1(store);
        Manifest m2 = releases.publish(V2).manifest();
        for (PayloadFile f : m2.payload().files()) {
            corrupt(f);
        }
        corrupt(m2.deltas().get(0).files().get(0));
        SyncResult r = sync.checkNow();
        assertEquals(SyncResult.Outcome.FAILED, r.outcome());
        assertInstanceOf(IntegrityException.class, r.failure().orElseThrow());
        assertEquals(1, activeVersion(store));
        assertEquals(Releases.expected(V1), Releases.contents(store));
        assertEquals(1, store.generations().size(), "the failed generations are not left behind");
        assertEquals(SyncState.IDLE, sync.status().state());
        assertEquals(1, sync.status().trustedVersion());
        assertEquals(r.failure().get(), events.failures.get(0));
    }

    @Test
    void aTamperedManifestIsRefusedByTheSignatureBeforeAnythingElse() throws IOException {
        releases.publish(V1);
        Path manifest = releases.host.resolve(Manifest.FILE_NAME);
        ManifestEdits.set(manifest, "/version", 9);
        MemoryVectorStore store = new MemoryVectorStore();
        SyncResult r = client(store).checkNow();
        assertEquals(SyncResult.Outcome.FAILED, r.outcome());
        assertInstanceOf(BadSignatureException.class, r.failure().orElseThrow());
        assertTrue(store.activeGeneration().isEmpty());
    }

    @Test
    void aManifestSignedByAnotherKeyIsRefused() throws IOException {
        releases.publish(V1);
        MemoryVectorStore store = new MemoryVectorStore();
        NylaSync sync = NylaSync.builder().source(new DirectoryArtifactSource(releases.host)).store(store)
                .publicKey(SigningKeys.generate().getPublic()).queryEmbedder(Releases.EMBEDDER).build();
        closeLater(sync);
        assertInstanceOf(BadSignatureException.class, sync.checkNow().failure().orElseThrow());
    }

    @Test
    void anOldManifestIsRefusedAsADowngradeUnlessAllowed() throws IOException {
        releases.publish(V1);
        releases.publish(V2);
        MemoryVectorStore store = new MemoryVectorStore();
        NylaSync sync = client(store);
        sync.checkNow();
        releases.serveOld(1);
        SyncResult r = sync.checkNow();
        DowngradeException e = assertInstanceOf(DowngradeException.class, r.failure().orElseThrow());
        assertEquals("1", e.actual());
        assertEquals(2, activeVersion(store));

        NylaSync permissive = builder(store).allowDowngrade(true).build();
        closeLater(permissive);
        // A new client over the same store trusts the version active in it.
        assertEquals(2, permissive.status().trustedVersion());
        assertEquals(SyncResult.Outcome.INSTALLED, permissive.checkNow().outcome());
        assertEquals(1, activeVersion(store));
    }

    @Test
    void anExpiredManifestIsRefused() throws IOException {
        releases.publish(V1, Publisher.builder().expiresAfter(Duration.ofDays(1)));
        MemoryVectorStore store = new MemoryVectorStore();
        NylaSync sync = builder(store).clock(Clock.offset(Clock.systemUTC(), Duration.ofDays(2))).build();
        closeLater(sync);
        SyncResult r = sync.checkNow();
        assertInstanceOf(ExpiredManifestException.class, r.failure().orElseThrow());
        assertTrue(store.activeGeneration().isEmpty());
    }

    @Test
    void anArtifactOfAnotherModelIsRefusedBeforeItIsDownloaded() throws IOException {
        releases.publish(V1);
        MemoryVectorStore store = new MemoryVectorStore();
        EmbeddingModel other = new HashingEmbedder(64).model();
        NylaSync sync = unguarded(store).listener(events).expectedModel(other).build();
        closeLater(sync);
        SyncResult r = sync.checkNow();
        ModelMismatchException e = assertInstanceOf(ModelMismatchException.class, r.failure().orElseThrow());
        assertTrue(e.getMessage().contains(other.fingerprint()), e.getMessage());
        assertTrue(e.getMessage().contains(Releases.EMBEDDER.model().fingerprint()), e.getMessage());
        assertEquals(0, r.bytesDownloaded());
    }

    @Test
    void aManifestAboveTheSizeCapIsRefusedUnparsed() throws IOException {
        // With a delta, the manifest is above the smallest cap a client may set.
        releases.publish(V1);
        releases.publish(V2);
        assertTrue(Files.size(releases.host.resolve(Manifest.FILE_NAME)) > 1024);
        MemoryVectorStore store = new MemoryVectorStore();
        NylaSync sync = builder(store).maxManifestBytes(1024).build();
        closeLater(sync);
        assertInstanceOf(LimitExceededException.class, sync.checkNow().failure().orElseThrow());
    }

    @Test
    void stagedRolloutInstallsOnExactlyTheClientsInsideThePercentage() throws IOException {
        releases.publish(V1);
        releases.publish(V2, Publisher.builder().rolloutPercent(30));
        Rollout rollout = new DirectoryArtifactSourceReader(releases.host).manifest().rollout();
        releases.serveOld(1);
        int installed = 0;
        int inside = 0;
        for (int c = 0; c < 60; c++) {
            String clientId = "client-" + c;
            MemoryVectorStore store = new MemoryVectorStore();
            try (NylaSync sync = builder(store).clientId(clientId).build()) {
                releases.serveOld(1);
                sync.checkNow();
                releases.serveOld(2);
                SyncResult r = sync.checkNow();
                boolean in = rollout.includes(clientId);
                assertEquals(in ? SyncResult.Outcome.INSTALLED : SyncResult.Outcome.NOT_IN_ROLLOUT, r.outcome(), clientId);
                installed += r.outcome() == SyncResult.Outcome.INSTALLED ? 1 : 0;
                inside += in ? 1 : 0;
            }
        }
        assertEquals(inside, installed);
        assertTrue(installed > 5 && installed < 35, "30% of 60 clients, got " + installed);

        // A client with nothing installed takes the version whatever its bucket: it has nothing older to keep.
        String outside = Stream.iterate(0, i -> i + 1).map(i -> "fresh-" + i).filter(id -> !rollout.includes(id))
                .findFirst().orElseThrow();
        MemoryVectorStore empty = new MemoryVectorStore();
        assertEquals(SyncResult.Outcome.INSTALLED, closeLater(builder(empty).clientId(outside).build()).checkNow().outcome());
    }

    @Test
    void conditionMeteredConnectionAndManualApprovalGateTheInstall() throws IOException {
        releases.publish(V1);
        MemoryVectorStore store = new MemoryVectorStore();
        client(store).checkNow();
        releases.publish(V2);

        NylaSync declined = closeLater(builder(store).updateCondition(o -> o.offered().label().contains("9")).build());
        assertEquals(SyncResult.Outcome.DECLINED, declined.checkNow().outcome());
        boolean[] metered = {true};
        NylaSync onMobile = closeLater(builder(store).meteredConnection(() -> metered[0]).build());
        assertEquals(SyncResult.Outcome.DEFERRED_METERED, onMobile.checkNow().outcome());
        assertEquals(1, activeVersion(store));

        List<UpdateOffer> asked = new ArrayList<>();
        boolean[] answer = {false};
        NylaSync manual = closeLater(builder(store).manualApproval(o -> {
            asked.add(o);
            return answer[0];
        }).build());
        assertEquals(SyncResult.Outcome.DECLINED, manual.checkNow().outcome());
        assertTrue(events.log.contains("approvalNeeded 2"), events.log.toString());
        assertEquals(1, asked.get(0).installedVersion());
        assertEquals(InstallRoute.DELTA, asked.get(0).route());
        assertEquals(1, activeVersion(store));
        // Declining does not remember the ETag: the same offer is made again at the next check.
        answer[0] = true;
        assertEquals(SyncResult.Outcome.INSTALLED, manual.checkNow().outcome());
        assertEquals(2, asked.size());
        assertEquals(2, activeVersion(store));
        metered[0] = false;
    }

    @Test
    void stateSurvivesARestartAndStillRefusesReplays() throws IOException {
        releases.publish(V1);
        releases.publish(V2);
        Path storeDir = dir.resolve("store");
        try (FileVectorStore store = FileVectorStore.open(storeDir); NylaSync sync = builder(store).build()) {
            assertEquals(SyncResult.Outcome.INSTALLED, sync.checkNow().outcome());
        }
        releases.serveOld(1);
        try (FileVectorStore store = FileVectorStore.open(storeDir); NylaSync sync = builder(store).build()) {
            SyncStatus status = sync.status();
            assertEquals(2, status.trustedVersion());
            assertEquals(2, status.active().orElseThrow().version());
            assertTrue(status.lastCheck().isPresent());
            assertEquals(SyncResult.Outcome.INSTALLED, status.lastResult().orElseThrow());
            assertTrue(status.history().stream().anyMatch(h -> h.kind().equals("install") && h.version() == 2),
                    status.history().toString());
            String clientId = status.clientId();
            assertInstanceOf(DowngradeException.class, sync.checkNow().failure().orElseThrow());
            assertEquals(Releases.expected(V2), Releases.contents(store));
            try (NylaSync again = builder(store).build()) {
                assertEquals(clientId, again.status().clientId(), "the client id is kept");
            }
        }
    }

    @Test
    void savedStatusIsReadBesideARunningClientWithoutChangingItsState() throws IOException {
        releases.publish(V1);
        releases.publish(V2);
        Path storeDir = dir.resolve("store");
        try (FileVectorStore store = FileVectorStore.open(storeDir); NylaSync sync = builder(store).build()) {
            assertEquals(SyncResult.Outcome.INSTALLED, sync.checkNow().outcome());
            Path state = storeDir.resolve("sync");
            byte[] saved = Files.readAllBytes(state.resolve(LocalState.FILE_NAME));
            java.nio.file.attribute.FileTime modified = Files.getLastModifiedTime(state.resolve(LocalState.FILE_NAME));
            // Another process's view: the store read-only, the state read as saved, the client still running.
            try (VectorStore reader = FileVectorStore.openReadOnly(storeDir)) {
                SyncStatus status = NylaSync.savedStatus(reader, state).orElseThrow();
                SyncStatus live = sync.status();
                assertEquals(2, status.trustedVersion());
                assertEquals(live.clientId(), status.clientId());
                assertEquals(live.lastCheck(), status.lastCheck());
                assertEquals(live.history(), status.history());
                assertEquals(2, status.active().orElseThrow().version());
                assertTrue(NylaSync.savedStatus(reader, dir.resolve("no-state-here")).isEmpty());
            }
            assertArrayEquals(saved, Files.readAllBytes(state.resolve(LocalState.FILE_NAME)));
            assertEquals(modified, Files.getLastModifiedTime(state.resolve(LocalState.FILE_NAME)));
            assertFalse(Files.exists(dir.resolve("no-state-here")), "looking creates nothing");
        }
    }

    @Test
    void manualRollbackStaysOnTheOldVersionUntilANewerOneIsPublished() throws IOException {
        MemoryVectorStore store = new MemoryVectorStore();
        NylaSync sync = installedV1(store);
        releases.publish(V2);
        sync.checkNow();
        assertEquals(1, sync.rollback().version());
        assertEquals(Releases.expected(V1), Releases.contents(store));
        assertEquals(SyncResult.Outcome.UP_TO_DATE, sync.checkNow().outcome());
        assertEquals(1, activeVersion(store));
        releases.publish(V3);
        SyncResult r = sync.checkNow();
        assertEquals(SyncResult.Outcome.INSTALLED, r.outcome());
        // Version 3 carries a delta from the active 1 too, beside the one from 2.
        assertEquals(InstallRoute.DELTA, r.route().orElseThrow());
        assertEquals(1, r.fromVersion());
        assertEquals(Releases.expected(V3), Releases.contents(store));
    }

    @Test
    void clearVersionLetsAnOperatorGoBackToAnOlderPublication() throws IOException {
        releases.publish(V1);
        releases.publish(V2);
        Path storeDir = dir.resolve("store");
        try (FileVectorStore store = FileVectorStore.open(storeDir); NylaSync sync = builder(store).build()) {
            sync.checkNow();
            releases.serveOld(1);
            assertEquals(SyncResult.Outcome.FAILED, sync.checkNow().outcome());
            sync.clearVersion();
        }
        // Cleared across a restart too: the active version 2 is not trusted again on open.
        try (FileVectorStore store = FileVectorStore.open(storeDir); NylaSync sync = builder(store).build()) {
            assertEquals(0, sync.status().trustedVersion());
            assertEquals(SyncResult.Outcome.INSTALLED, sync.checkNow().outcome());
            assertEquals(1, activeVersion(store));
            assertEquals(1, sync.status().trustedVersion());
        }
    }

    @Test
    void forceUpdateReinstallsTheInstalledVersionInFull() throws IOException {
        releases.publish(V1);
        MemoryVectorStore store = new MemoryVectorStore();
        NylaSync sync = client(store);
        long first = sync.checkNow().toVersion();
        long generation = store.activeGeneration().orElseThrow().id();
        SyncResult r = sync.forceUpdate();
        assertEquals(SyncResult.Outcome.INSTALLED, r.outcome());
        assertEquals(first, r.toVersion());
        assertNotEquals(generation, store.activeGeneration().orElseThrow().id());
        assertEquals(Releases.expected(V1), Releases.contents(store));
    }

    @Test
    void whenTheInstallCannotBeRecordedTheSwapIsRolledBack() throws IOException {
        releases.publish(V1);
        Path storeDir = dir.resolve("store");
        try (FileVectorStore store = FileVectorStore.open(storeDir); NylaSync sync = builder(store).build()) {
            sync.checkNow();
            releases.publish(V2);
            // The state file's temporary name is taken by a directory: the atomic write fails after the swap.
            Files.createDirectories(storeDir.resolve("sync").resolve(LocalState.FILE_NAME + ".tmp").resolve("x"));
            SyncResult r = sync.checkNow();
            assertEquals(SyncResult.Outcome.FAILED, r.outcome());
            assertTrue(events.log.contains("rolledBack 1"), events.log.toString());
            assertTrue(events.states().contains("ROLLING_BACK"), events.states().toString());
            assertEquals(1, activeVersion(store));
            assertEquals(Releases.expected(V1), Releases.contents(store));
            assertEquals(1, store.generations().size());
        }
    }

    @Test
    void anInstallSavesTheStateOnceAfterTheActivationAndAClientOverUnchangedStateNotAtAll() throws IOException {
        releases.publish(V1);
        Path stateDir = dir.resolve("state");
        Path stateFile = stateDir.resolve(LocalState.FILE_NAME);
        MemoryVectorStore store = new MemoryVectorStore();
        try (NylaSync sync = builder(store).stateDirectory(stateDir).build()) {
            assertEquals(SyncResult.Outcome.INSTALLED, sync.checkNow().outcome());
        }
        releases.publish(V2);
        // A save replaces the file by a rename of a new one written while it exists: another file key.
        Object before = fileKey(stateFile);
        Map<SyncState, Object> keyAt = new java.util.EnumMap<>(SyncState.class);
        Map<SyncState, Long> trustedAt = new java.util.EnumMap<>(SyncState.class);
        SyncListener watcher = new SyncListener() {
            @Override
            public void stateChanged(SyncState from, SyncState to) {
                try {
                    keyAt.put(to, fileKey(stateFile));
                    trustedAt.put(to, LocalState.peek(stateDir).orElseThrow().trustedVersion);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        };
        try (NylaSync sync = builder(store, watcher).stateDirectory(stateDir).build()) {
            assertEquals(before, fileKey(stateFile), "building a client over unchanged state rewrote it");
            SyncResult r = sync.checkNow();
            assertEquals(SyncResult.Outcome.INSTALLED, r.outcome(), r.steps().toString());
        }
        assertEquals(before, keyAt.get(SyncState.SWAPPING), "saved before the activation");
        assertEquals(1L, trustedAt.get(SyncState.SWAPPING));
        assertEquals(2L, trustedAt.get(SyncState.COMMITTED), "saved between the activation and COMMITTED");
        assertEquals(keyAt.get(SyncState.COMMITTED), keyAt.get(SyncState.IDLE), "saved again after COMMITTED");
        assertEquals(SyncResult.Outcome.INSTALLED, LocalState.peek(stateDir).orElseThrow().lastResult);
    }

    private static Object fileKey(Path file) throws IOException {
        return Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
    }

    @Test
    void anInterruptedDownloadResumesFromTheBytesOnDisk() throws IOException {
        PublishResult v1 = releases.publish(V1);
        PayloadFile gz = file(v1.manifest(), Compression.GZIP);
        Path stateDir = dir.resolve("state");
        Path part = Files.createDirectories(stateDir.resolve("downloads")).resolve(gz.name() + ".part");
        byte[] all = Files.readAllBytes(releases.host.resolve(gz.name()));
        Files.write(part, java.util.Arrays.copyOf(all, all.length / 2));
        MemoryVectorStore store = new MemoryVectorStore();
        NylaSync sync = closeLater(builder(store).stateDirectory(stateDir).build());
        SyncResult r = sync.checkNow();
        assertEquals(SyncResult.Outcome.INSTALLED, r.outcome(), r.steps().toString());
        assertEquals(all.length - all.length / 2, r.bytesDownloaded());
        assertEquals(Releases.expected(V1), Releases.contents(store));
        assertFalse(Files.exists(part));
    }

    @Test
    void aCorruptPartialDownloadIsDiscardedAndFetchedAgain() throws IOException {
        PublishResult v1 = releases.publish(V1);
        PayloadFile gz = file(v1.manifest(), Compression.GZIP);
        Path stateDir = dir.resolve("state");
        Path part = Files.createDirectories(stateDir.resolve("downloads")).resolve(gz.name() + ".part");
        byte[] garbage = new byte[(int) gz.size() / 2];
        java.util.Arrays.fill(garbage, (byte) 7);
        Files.write(part, garbage);
        MemoryVectorStore store = new MemoryVectorStore();
        SyncResult r = closeLater(builder(store).stateDirectory(stateDir).build()).checkNow();
        assertEquals(SyncResult.Outcome.INSTALLED, r.outcome(), r.steps().toString());
        assertEquals(InstallRoute.FULL_COMPRESSED, r.route().orElseThrow());
        assertEquals(Releases.expected(V1), Releases.contents(store));
    }

    @Test
    void aBundledBaselineIsInstalledWhenTheSourceIsUnreachableOnAFirstStart() throws IOException {
        releases.publish(V1, Publisher.builder().expiresAfter(Duration.ofDays(1)));
        Path primary = dir.resolve("cdn");
        // The artifact as an app bundles it: resources under host/ in its class path.
        java.net.URLClassLoader bundled = closeLater(new java.net.URLClassLoader(new java.net.URL[] {dir.toUri().toURL()}, null));
        MemoryVectorStore store = new MemoryVectorStore();
        // Months after the app shipped: the bundled manifest has long expired, which a baseline may.
        NylaSync sync = closeLater(NylaSync.builder().source(new DirectoryArtifactSource(primary)).store(store)
                .baseline(new ClasspathArtifactSource(bundled, "host")).publicKey(Releases.KEYS.getPublic())
                .queryEmbedder(Releases.EMBEDDER).clock(Clock.offset(Clock.systemUTC(), Duration.ofDays(90))).build());
        SyncResult r = sync.checkNow();
        assertEquals(SyncResult.Outcome.INSTALLED, r.outcome(), r.steps().toString());
        assertTrue(r.steps().get(0).contains("bundled baseline"), r.steps().toString());
        assertEquals(Releases.expected(V1), Releases.contents(store));
        // Once something is installed the baseline is not used again: an unreachable source is a failure.
        assertEquals(SyncResult.Outcome.FAILED, sync.checkNow().outcome());
        assertEquals(1, activeVersion(store));
    }

    @Test
    void withNoSourceAndNothingInstalledTheBundledCorpusIsEmbeddedLocally() throws IOException {
        MemoryVectorStore store = new MemoryVectorStore();
        NylaSync sync = closeLater(builder(store).localRebuild(Corpus.of(V1), Releases.EMBEDDER).build());
        SyncResult r = sync.checkNow();
        assertEquals(SyncResult.Outcome.REBUILT_LOCALLY, r.outcome(), r.steps().toString());
        assertInstanceOf(java.io.FileNotFoundException.class, r.failure().orElseThrow());
        assertEquals(Releases.expected(V1), Releases.contents(store));
        assertFalse(store.search(new SearchRequest("default", Releases.EMBEDDER.embed("topic 3"), 3, Map.of())).isEmpty());
        assertEquals(0, sync.status().trustedVersion());
        // Once the source is there, its version replaces the local build.
        releases.publish(V2);
        assertEquals(SyncResult.Outcome.INSTALLED, sync.checkNow().outcome());
        assertEquals(Releases.expected(V2), Releases.contents(store));
    }

    @Test
    void buildNamesEveryMissingSetting() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> NylaSync.builder().build());
        for (String word : List.of("source(", "store(", "publicKey(", "queryEmbedder(")) {
            assertTrue(e.getMessage().contains(word), e.getMessage());
        }
        IllegalStateException bad = assertThrows(IllegalStateException.class,
                () -> builder(new MemoryVectorStore()).jitter(2).checkInterval(Duration.ZERO).build());
        assertTrue(bad.getMessage().contains("jitter") && bad.getMessage().contains("checkInterval"), bad.getMessage());
    }

    @Test
    void startRunsACheckAtOnceOnTheSuppliedScheduler() throws Exception {
        releases.publish(V1);
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        try {
            CountDownLatch done = new CountDownLatch(1);
            MemoryVectorStore store = new MemoryVectorStore();
            NylaSync sync = closeLater(builder(store, new SyncListener() {
                @Override
                public void completed(SyncResult result) {
                    done.countDown();
                }
            }).scheduler(scheduler).build());
            sync.start();
            assertTrue(done.await(60, TimeUnit.SECONDS), "the start-up check never completed");
            assertEquals(1, activeVersion(store));
        } finally {
            scheduler.shutdownNow();
        }
    }

    @Test
    void startAfterCheckSchedulesTheFirstCheckAnIntervalAfterACheckThatInstalled() throws IOException {
        releases.publish(V1);
        DelayRecorder scheduler = new DelayRecorder();
        try {
            NylaSync sync = closeLater(builder(new MemoryVectorStore()).scheduler(scheduler)
                    .checkInterval(Duration.ofHours(1)).jitter(0.1).build());
            assertEquals(SyncResult.Outcome.INSTALLED, sync.checkNow().outcome());
            sync.startAfterCheck();
            long delay = scheduler.delays.getFirst();
            assertTrue(delay >= 54 * 60_000 && delay <= 66 * 60_000, "not a check at once, but one interval later: " + delay);
        } finally {
            scheduler.shutdownNow();
        }
    }

    @Test
    void startAfterCheckBacksOffAfterACheckThatFailed() throws IOException {
        DelayRecorder scheduler = new DelayRecorder();
        try {
            NylaSync sync = closeLater(builder(new MemoryVectorStore()).scheduler(scheduler)
                    .checkInterval(Duration.ofHours(1)).failureBackoff(Duration.ofSeconds(30)).build());
            assertEquals(SyncResult.Outcome.FAILED, sync.checkNow().outcome(), "nothing is published");
            sync.startAfterCheck();
            long delay = scheduler.delays.getFirst();
            assertTrue(delay >= 1000 && delay <= 30_000, "the back-off after one failure: " + delay);
        } finally {
            scheduler.shutdownNow();
        }
    }

    /** A scheduler that records the delay of every task scheduled on it. */
    private static final class DelayRecorder extends java.util.concurrent.ScheduledThreadPoolExecutor {
        final List<Long> delays = Collections.synchronizedList(new ArrayList<>());

        DelayRecorder() {
            super(1);
        }

        @Override
        public java.util.concurrent.ScheduledFuture<?> schedule(Runnable task, long delay, TimeUnit unit) {
            delays.add(unit.toMillis(delay));
            return super.schedule(task, delay, unit);
        }
    }

    @Test
    void installedManifestIsTheSignedManifestOfTheVersionServed() throws IOException {
        MemoryVectorStore store = new MemoryVectorStore();
        NylaSync sync = client(store);
        assertTrue(sync.installedManifest().isEmpty(), "nothing installed yet");
        PublishResult v1 = releases.publish(V1, Publisher.builder().expiresAfter(Duration.ofDays(3)));
        assertEquals(SyncResult.Outcome.INSTALLED, sync.checkNow().outcome());
        Manifest installed = sync.installedManifest().orElseThrow();
        assertEquals(1, installed.version());
        assertEquals(v1.manifest().expiresAt(), installed.expiresAt());
        releases.publish(V2);
        assertEquals(SyncResult.Outcome.INSTALLED, sync.checkNow().outcome());
        assertEquals(2, sync.installedManifest().orElseThrow().version());
        sync.rollback();
        assertEquals(1, sync.installedManifest().orElseThrow().version(), "the manifest of the generation rolled back to");
    }

    @Test
    void checkDelaysSpreadAroundTheIntervalAndBackOffAfterFailures() throws IOException {
        NylaSync sync = closeLater(builder(new MemoryVectorStore()).checkInterval(Duration.ofHours(1)).jitter(0.1)
                .failureBackoff(Duration.ofSeconds(30)).build());
        long min = Long.MAX_VALUE, max = 0;
        for (int i = 0; i < 2000; i++) {
            long d = sync.nextDelay(0).toMillis();
            min = Math.min(min, d);
            max = Math.max(max, d);
            assertTrue(d >= 54 * 60_000 && d <= 66 * 60_000, "delay " + d);
        }
        assertTrue(max - min > 6 * 60_000, "the jitter spreads clients out: " + min + ".." + max);
        for (int failures = 1; failures < 40; failures++) {
            long window = Math.min(3_600_000L, 30_000L << Math.min(failures - 1, 30));
            long d = sync.nextDelay(failures).toMillis();
            assertTrue(d >= 1000 && d <= Math.max(1000, window), failures + " failures: " + d);
        }
    }

    @Test
    void aListenerThrowingAnErrorBreaksNeitherTheInstallNorLaterRuns() throws IOException {
        releases.publish(V1);
        MemoryVectorStore store = new MemoryVectorStore();
        NylaSync sync = closeLater(builder(store, new SyncListener() {
            @Override
            public void downloadProgress(String file, long bytes, long totalBytes, int stagePercent) {
                throw new AssertionError("a listener bug");
            }
        }).build());
        assertEquals(SyncResult.Outcome.INSTALLED, sync.checkNow().outcome());
        assertEquals(SyncState.IDLE, sync.status().state());
        assertEquals(SyncResult.Outcome.UP_TO_DATE, sync.checkNow().outcome());
    }

    @Test
    void aListenerCallingBackIntoTheClientIsRefusedInsteadOfRunningInsideTheSwap() throws IOException {
        releases.publish(V1);
        releases.publish(V2);
        MemoryVectorStore store = new MemoryVectorStore();
        List<Exception> refused = new ArrayList<>();
        NylaSync[] self = new NylaSync[1];
        self[0] = closeLater(builder(store, new SyncListener() {
            @Override
            public void swapped(Generation previous, Generation current) {
                try {
                    self[0].rollback();
                } catch (Exception e) {
                    refused.add(e);
                }
            }
        }).build());
        assertEquals(SyncResult.Outcome.INSTALLED, self[0].checkNow().outcome());
        assertInstanceOf(IllegalStateException.class, refused.get(0));
        assertEquals(2, activeVersion(store));
    }

    @Test
    void afterAManualRollbackTheNextInstallKeepsTheRollbackTargetNotTheRejectedVersion() throws IOException {
        MemoryVectorStore store = new MemoryVectorStore();
        NylaSync sync = installedV1(store);
        releases.publish(V2);
        sync.checkNow();
        sync.rollback();
        releases.publish(V3);
        assertEquals(SyncResult.Outcome.INSTALLED, sync.checkNow().outcome());
        assertEquals(List.of(3L, 1L), store.generations().stream().map(Generation::version).sorted(
                java.util.Comparator.reverseOrder()).toList());
        assertEquals(1, sync.rollback().version());
    }

    @Test
    void aLocalRebuildIsReplacedOnceTheSourceIsBackEvenWhenAVersionWasTrustedBefore() throws IOException {
        releases.publish(V1);
        Path stateDir = dir.resolve("state");
        try (MemoryVectorStore store = new MemoryVectorStore();
             NylaSync sync = builder(store).stateDirectory(stateDir).build()) {
            assertEquals(SyncResult.Outcome.INSTALLED, sync.checkNow().outcome());
        }
        Path hidden = dir.resolve("hidden");
        Files.move(releases.host, hidden);
        MemoryVectorStore store = new MemoryVectorStore();
        NylaSync sync = closeLater(builder(store).stateDirectory(stateDir)
                .localRebuild(Corpus.of(V1.subList(0, 50)), Releases.EMBEDDER).build());
        assertEquals(SyncResult.Outcome.REBUILT_LOCALLY, sync.checkNow().outcome());
        Files.move(hidden, releases.host);
        SyncResult r = sync.checkNow();
        assertEquals(SyncResult.Outcome.INSTALLED, r.outcome(), r.steps().toString());
        assertEquals(Releases.expected(V1), Releases.contents(store));
    }

    @Test
    void anExpiredInstalledManifestIsNotHiddenByNotModifiedAnswers() throws IOException {
        releases.publish(V1, Publisher.builder().expiresAfter(Duration.ofDays(1)));
        MemoryVectorStore store = new MemoryVectorStore();
        Duration[] skew = {Duration.ZERO};
        Clock clock = new Clock() {
            @Override
            public java.time.ZoneId getZone() {
                return java.time.ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public java.time.Instant instant() {
                return java.time.Instant.now().plus(skew[0]);
            }
        };
        NylaSync sync = closeLater(builder(store).clock(clock).build());
        assertEquals(SyncResult.Outcome.INSTALLED, sync.checkNow().outcome());
        assertEquals(SyncResult.Outcome.UP_TO_DATE, sync.checkNow().outcome());
        skew[0] = Duration.ofDays(2);
        SyncResult r = sync.checkNow();
        assertInstanceOf(ExpiredManifestException.class, r.failure().orElseThrow(), r.steps().toString());
        assertEquals(1, activeVersion(store), "the installed version keeps serving");
    }

    private PayloadFile file(Manifest m, Compression c) {
        return m.payload().files().stream().filter(f -> f.compression() == c).findFirst().orElseThrow();
    }

    private void corrupt(PayloadFile f) throws IOException {
        Path p = releases.host.resolve(f.name());
        byte[] b = Files.readAllBytes(p);
        b[b.length / 2] ^= 0x10;
        Files.write(p, b);
    }

    /** Reads the host's current manifest, for the test's own expectations. */
    private record DirectoryArtifactSourceReader(Path host) {
        Manifest manifest() throws IOException {
            return dev.nyla.sync.artifact.internal.Artifacts.fetchVerifiedManifest(new DirectoryArtifactSource(host),
                    List.of(Releases.KEYS.getPublic()));
        }
    }
}
