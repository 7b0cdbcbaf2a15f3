package dev.nyla.sync.reconcile;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.SourceRecord;
import dev.nyla.sync.demo.HashingEmbedder;
import dev.nyla.sync.embed.CountingEmbedder;
import dev.nyla.sync.embed.Embedder;
import dev.nyla.sync.embed.EmbeddingException;
import dev.nyla.sync.reconcile.ReconcileListener.Phase;
import dev.nyla.sync.reconcile.SyncReport.Outcome;
import dev.nyla.sync.store.InventoryEntry;
import dev.nyla.sync.store.LockTimeoutException;
import dev.nyla.sync.store.SearchHit;
import dev.nyla.sync.store.SearchRequest;
import dev.nyla.sync.store.VectorStore;
import dev.nyla.sync.store.internal.MemoryVectorStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reconciler on the in-memory store: every drift kind, exact reports, repairs that keep the store consistent. */
class ReconcilerTest {
    private static final String T = "acme";

    @TempDir
    Path temp;

    private MemoryVectorStore store;
    private MapSource source;
    private CountingEmbedder embedder;
    private String fp;

    @BeforeEach
    void setUp() {
        store = new MemoryVectorStore();
        source = new MapSource();
        embedder = new CountingEmbedder(new HashingEmbedder(16));
        fp = embedder.model().fingerprint();
    }

    @AfterEach
    void tearDown() throws IOException {
        store.close();
        assertEquals(0, LocalTenantLocks.size(), "every tenant lock was released");
    }

    private Reconciler.Builder reconciler() {
        return Reconciler.builder().store(store).source(source).embedder(embedder).tempDirectory(temp);
    }

    private void fillSource(String tenant, int n) {
        for (int i = 0; i < n; i++) {
            source.put(tenant, id(i), "text " + i, Map.of("n", String.valueOf(i)));
        }
    }

    private static String id(int i) {
        return String.format("p-%03d", i);
    }

    /** The store's inventory of {@code tenant} equals the source's records hashed with the embedder's model. */
    static void assertMirrors(VectorStore store, MapSource source, String tenant, String fp) throws IOException {
        Map<String, String> expected = new LinkedHashMap<>();
        for (SourceRecord r : source.recordsOf(tenant)) {
            expected.put(r.id(), r.contentHash(fp));
        }
        Map<String, String> actual = new LinkedHashMap<>();
        try (Stream<InventoryEntry> s = store.inventory(tenant)) {
            s.forEach(e -> {
                assertEquals(fp, e.modelFingerprint(), e.id());
                assertNull(actual.put(e.id(), e.contentHash()), "duplicate " + e.id());
            });
        }
        assertEquals(expected, actual);
    }

    @Test
    void anEmptyStoreIsPopulatedAndThenInSync() throws IOException {
        fillSource(T, 20);
        Reconciler r = reconciler().build();

        Drift drift = r.check(T);
        assertEquals(20, drift.missing());
        assertEquals(0, drift.storeCount());
        assertFalse(drift.inSync());

        SyncReport report = r.sync(T, false);
        assertEquals(Outcome.SYNCED, report.outcome(), () -> report.failure().toString());
        assertEquals(20, report.embedded());
        assertEquals(20, report.inserted());
        assertEquals(1, report.rounds());
        assertTrue(report.after().orElseThrow().inSync());
        assertEquals(20, embedder.texts());
        assertMirrors(store, source, T, fp);
        assertEquals(embedder.model(), store.activeGeneration().orElseThrow().model());

        SyncReport again = r.sync(T, false);
        assertEquals(Outcome.IN_SYNC, again.outcome());
        assertTrue(again.after().isEmpty());
        assertEquals(20, embedder.texts(), "an in-sync tenant embeds nothing");
    }

    @Test
    void checkReportsEveryDriftKindExactly() throws IOException {
        fillSource(T, 10);
        reconciler().build().sync(T, false);
        source.remove(T, id(2)).remove(T, id(7));                  // stale
        source.put(T, "p-100", "new one").put(T, "p-050", "new");  // missing
        source.put(T, id(4), "edited text", Map.of("n", "4"));     // changed text
        source.put(T, id(5), "text 5", Map.of("n", "five"));       // changed metadata

        Drift d = reconciler().idLimit(1).build().check(T);

        assertEquals(T, d.tenant());
        assertEquals(10, d.sourceCount());
        assertEquals(10, d.storeCount());
        assertEquals(2, d.missing());
        assertEquals(2, d.stale());
        assertEquals(2, d.changed());
        assertEquals(0, d.modelMismatch());
        assertEquals(List.of("p-050"), d.missingIds(), "the first missing id, limited to 1");
        assertEquals(List.of(id(2)), d.staleIds());
        assertEquals(List.of(id(4)), d.changedIds());
        assertTrue(d.idsTruncated());
        assertEquals(4, d.toEmbed());

        Drift full = reconciler().build().check(T);
        assertEquals(List.of("p-050", "p-100"), full.missingIds());
        assertEquals(List.of(id(2), id(7)), full.staleIds());
        assertEquals(List.of(id(4), id(5)), full.changedIds());
        assertFalse(full.idsTruncated());
    }

    @Test
    void anotherModelShowsAsModelMismatchAndSyncRefusesIt() throws IOException {
        fillSource(T, 5);
        reconciler().build().sync(T, false);
        EmbeddingModel m = embedder.model();
        EmbeddingModel otherModel = new EmbeddingModel("other", m.dimension(), m.similarity(), m.normalized(),
                "other-fingerprint");
        Embedder other = new Embedder() {
            @Override
            public EmbeddingModel model() {
                return otherModel;
            }

            @Override
            public List<float[]> embed(List<String> texts) throws IOException {
                return embedder.embed(texts);
            }
        };
        Reconciler r = Reconciler.builder().store(store).source(source).embedder(other).tempDirectory(temp).build();

        Drift d = r.check(T);
        assertEquals(5, d.modelMismatch());
        assertEquals(0, d.changed());
        assertEquals(List.of(id(0), id(1), id(2), id(3), id(4)), d.modelMismatchIds());

        SyncReport report = r.sync(T, false);
        assertEquals(Outcome.FAILED, report.outcome());
        ReconcileException e = assertInstanceOf(ReconcileException.class, report.failure().orElseThrow());
        assertTrue(e.getMessage().contains("other-fingerprint") && e.getMessage().contains(fp), e.getMessage());
        assertMirrors(store, source, T, fp);

        // Without an embedder, a check compares with the active generation's model: in sync.
        assertTrue(Reconciler.builder().store(store).source(source).build().check(T).inSync());
    }

    @Test
    void syncEmbedsOnlyMissingAndChangedAndWritesBeforeDeleting() throws IOException {
        fillSource(T, 30);
        reconciler().build().sync(T, false);
        int before = embedder.texts();
        for (int i = 0; i < 5; i++) {
            source.remove(T, id(i));                               // 5 stale
        }
        for (int i = 10; i < 13; i++) {
            source.put(T, id(i), "edited " + i);                    // 3 changed
        }
        source.put(T, "q-1", "new 1").put(T, "q-2", "new 2");      // 2 missing
        List<String> events = Collections.synchronizedList(new ArrayList<>());
        RecordingStore recording = new RecordingStore(store, T);
        Reconciler r = Reconciler.builder().store(recording).source(source).embedder(embedder).tempDirectory(temp)
                .writeBatchSize(2).deleteBatchSize(2)
                .listener(new ReconcileListener() {
                    @Override
                    public void progress(String tenant, Phase phase, long done, long total) {
                        if (phase != Phase.CHECK && phase != Phase.VERIFY) {
                            events.add(phase + " " + done + "/" + total);
                        }
                    }
                }).build();

        SyncReport report = r.sync(T, false);

        assertEquals(Outcome.SYNCED, report.outcome());
        assertEquals(5, embedder.texts() - before, "only the missing and changed records are embedded");
        assertEquals(5, report.embedded());
        assertEquals(2, report.inserted());
        assertEquals(3, report.updated());
        assertEquals(5, report.deleted());
        assertEquals(0, report.notFound());
        Drift b = report.before().orElseThrow();
        assertEquals(List.of(2L, 5L, 3L), List.of(b.missing(), b.stale(), b.changed()));
        assertEquals(List.of("EMBED 2/5", "EMBED 4/5", "EMBED 5/5", "DELETE 2/5", "DELETE 4/5", "DELETE 5/5"), events);
        assertEquals(List.of("upsert", "upsert", "upsert", "delete", "delete", "delete"), recording.calls());
        assertEquals(27, recording.minimumCount(), "the tenant never had fewer records than the source");
        assertMirrors(store, source, T, fp);
    }

    @Test
    void forceReEmbedsEverythingWithoutEverEmptyingTheTenant() throws IOException {
        fillSource(T, 25);
        reconciler().build().sync(T, false);
        source.remove(T, id(0));
        int before = embedder.texts();
        RecordingStore recording = new RecordingStore(store, T);
        Reconciler r = Reconciler.builder().store(recording).source(source).embedder(embedder).tempDirectory(temp)
                .writeBatchSize(4).build();

        SyncReport report = r.sync(T, true);

        assertEquals(Outcome.SYNCED, report.outcome());
        assertEquals(24, embedder.texts() - before, "every source record is re-embedded");
        assertEquals(24, report.updated());
        assertEquals(1, report.deleted());
        assertEquals(24, recording.minimumCount(), "readers always saw every record the source has");
        assertMirrors(store, source, T, fp);

        SyncReport inSync = r.sync(T, true);
        assertEquals(Outcome.SYNCED, inSync.outcome(), "force rewrites an in-sync tenant too");
        assertEquals(48, embedder.texts() - before);
    }

    @Test
    void aSourceEditedBetweenCheckAndSyncIsSyncedAsItIsAtSyncTime() throws IOException {
        fillSource(T, 10);
        Reconciler r = reconciler().build();
        r.sync(T, false);
        source.put(T, "new-1", "first");
        Drift check = r.check(T);
        assertEquals(List.of("new-1"), check.missingIds());

        source.remove(T, "new-1").put(T, "new-2", "second").put(T, id(3), "edited").remove(T, id(9));
        SyncReport report = r.sync(T, false);

        assertEquals(Outcome.SYNCED, report.outcome());
        Drift b = report.before().orElseThrow();
        assertEquals(List.of("new-2"), b.missingIds());
        assertEquals(List.of(id(3)), b.changedIds());
        assertEquals(List.of(id(9)), b.staleIds());
        assertMirrors(store, source, T, fp);
    }

    @Test
    void aSourceEditedDuringTheSyncIsCaughtByTheVerifyingCheckAndRepairedAgain() throws IOException {
        fillSource(T, 10);
        reconciler().build().sync(T, false);
        source.put(T, id(1), "edited before");
        AtomicBoolean edited = new AtomicBoolean();
        Reconciler r = reconciler().listener(new ReconcileListener() {
            @Override
            public void progress(String tenant, Phase phase, long done, long total) {
                if (phase == Phase.EMBED && edited.compareAndSet(false, true)) {
                    source.put(T, "late", "added while the sync ran").remove(T, id(8));
                }
            }
        }).build();

        SyncReport report = r.sync(T, false);

        assertEquals(Outcome.SYNCED, report.outcome());
        assertEquals(2, report.rounds());
        assertEquals(2, report.embedded(), "the edited record, then the late one");
        assertEquals(1, report.deleted());
        assertMirrors(store, source, T, fp);
    }

    @Test
    void aSourceThatKeepsChangingFailsVerificationAfterMaxRounds() throws IOException {
        fillSource(T, 4);
        reconciler().build().sync(T, false);
        source.put(T, id(0), "edited");
        int[] n = {0};
        Reconciler r = reconciler().maxRounds(2).listener(new ReconcileListener() {
            @Override
            public void progress(String tenant, Phase phase, long done, long total) {
                if (phase == Phase.EMBED) {
                    source.put(T, "moving-" + n[0]++, "again");
                }
            }
        }).build();

        SyncReport report = r.sync(T, false);

        assertEquals(Outcome.FAILED, report.outcome());
        assertEquals(2, report.rounds());
        assertEquals(1, report.after().orElseThrow().missing());
        String message = report.failure().orElseThrow().getMessage();
        assertTrue(message.contains("moving-1") && message.contains("2 repair round"), message);
    }

    @Test
    void aFailingEmbedderMidBatchLeavesOldVectorsForUnprocessedIdsAndDeletesNothing() throws IOException {
        fillSource(T, 30);
        reconciler().build().sync(T, false);
        Map<String, String> oldHashes = new LinkedHashMap<>();
        for (SourceRecord s : source.recordsOf(T)) {
            oldHashes.put(s.id(), s.contentHash(fp));
        }
        for (int i = 0; i < 30; i++) {
            source.put(T, id(i), "v2 of " + i);
        }
        source.remove(T, id(29)); // stale: must survive the failed sync
        FailingEmbedder failing = new FailingEmbedder(embedder, 3);
        Reconciler r = Reconciler.builder().store(store).source(source).embedder(failing).tempDirectory(temp)
                .embedBatchSize(7).writeBatchSize(7).build();

        SyncReport report = r.sync(T, false);

        assertEquals(Outcome.FAILED, report.outcome());
        assertInstanceOf(EmbeddingException.class, report.failure().orElseThrow());
        assertEquals(14, report.embedded());
        assertEquals(14, report.updated());
        assertEquals(0, report.deleted());
        Map<String, String> inventory = new LinkedHashMap<>();
        try (Stream<InventoryEntry> s = store.inventory(T)) {
            s.forEach(e -> inventory.put(e.id(), e.contentHash()));
        }
        assertEquals(30, inventory.size(), "nothing deleted, nothing lost");
        for (int i = 0; i < 30; i++) {
            String expected = i < 14 ? source.recordsOf(T).get(i).contentHash(fp) : oldHashes.get(id(i));
            assertEquals(expected, inventory.get(id(i)), id(i) + (i < 14 ? " was rewritten" : " keeps its old vector"));
        }

        int before = embedder.texts();
        SyncReport retry = reconciler().build().sync(T, false);
        assertEquals(Outcome.SYNCED, retry.outcome());
        assertEquals(15, embedder.texts() - before, "the retry embeds only what the failed sync did not reach");
        assertEquals(1, retry.deleted());
        assertMirrors(store, source, T, fp);
    }

    @Test
    void withDefaultBatchSizesAnEmbedderFailureStillWritesWhatWasEmbedded() throws IOException {
        fillSource(T, 40);
        FailingEmbedder failing = new FailingEmbedder(embedder, 4); // CountingEmbedder batches of 7
        SyncReport report = Reconciler.builder().store(store).source(source).embedder(failing).tempDirectory(temp)
                .build().sync(T, false);
        assertEquals(Outcome.FAILED, report.outcome());
        assertEquals(21, report.embedded());
        assertEquals(21, report.inserted(), "three batches embedded, all written although the write batch is 500");
        assertEquals(21, store.stats().records());
        int before = embedder.texts();
        assertEquals(Outcome.SYNCED, reconciler().build().sync(T, false).outcome());
        assertEquals(19, embedder.texts() - before);
    }

    @Test
    void aStoreThatFailsOrUnderReportsAWriteOrDeleteStopsTheSyncByName() throws IOException {
        fillSource(T, 20);
        reconciler().build().sync(T, false);
        for (int i = 0; i < 20; i++) {
            source.put(T, id(i), "v2 " + i);
        }
        source.remove(T, id(19)).remove(T, id(18)).remove(T, id(17));

        RecordingStore failing = new RecordingStore(store, T).failUpsert(2);
        SyncReport failed = Reconciler.builder().store(failing).source(source).embedder(embedder).tempDirectory(temp)
                .writeBatchSize(5).build().sync(T, false);
        assertEquals(Outcome.FAILED, failed.outcome());
        assertTrue(failed.failure().orElseThrow().getMessage().contains("connection reset during upsert 2"));
        assertEquals(5, failed.updated());
        assertEquals(List.of("upsert"), failing.calls(), "no delete after a failed write");
        assertEquals(20, store.stats().records());

        RecordingStore lyingWrite = new RecordingStore(store, T).lieOnUpsert(1);
        SyncReport shortWrite = Reconciler.builder().store(lyingWrite).source(source).embedder(embedder)
                .tempDirectory(temp).writeBatchSize(5).build().sync(T, false);
        String m = shortWrite.failure().orElseThrow().getMessage();
        assertTrue(m.contains("upsert into tenant 'acme': records written: expected 5 but was WriteResult[inserted=0,"
                + " updated=4"), m);
        assertEquals(List.of("upsert"), lyingWrite.calls(), "the sync stops at the write it cannot account for");

        RecordingStore lyingDelete = new RecordingStore(store, T).lieOnDelete(1);
        SyncReport shortDelete = Reconciler.builder().store(lyingDelete).source(source).embedder(embedder)
                .tempDirectory(temp).deleteBatchSize(2).build().sync(T, false);
        String d = shortDelete.failure().orElseThrow().getMessage();
        assertTrue(d.contains("delete from tenant 'acme': records deleted or not found: expected 2 but was"
                + " WriteResult[inserted=0, updated=0, deleted=1, notFound=0]"), d);
        assertEquals(Outcome.FAILED, shortDelete.outcome());
        assertEquals(0, shortDelete.deleted());

        assertEquals(Outcome.SYNCED, reconciler().build().sync(T, false).outcome());
        assertMirrors(store, source, T, fp);
    }

    @Test
    void badEmbedderOutputIsRefusedByNameAndNothingOfTheBatchIsWritten() throws IOException {
        fillSource(T, 3);
        Embedder nan = new Embedder() {
            @Override
            public EmbeddingModel model() {
                return embedder.model();
            }

            @Override
            public List<float[]> embed(List<String> texts) throws IOException {
                List<float[]> out = new ArrayList<>(embedder.embed(texts));
                out.get(1)[3] = Float.NaN;
                return out;
            }
        };
        SyncReport report = Reconciler.builder().store(store).source(source).embedder(nan).tempDirectory(temp)
                .build().sync(T, false);
        assertEquals(Outcome.FAILED, report.outcome());
        String message = report.failure().orElseThrow().getMessage();
        assertTrue(message.contains(T + "/" + id(1)) && message.contains("NaN"), message);
        assertEquals(0, store.stats().records());

        Embedder shortVectors = new Embedder() {
            @Override
            public EmbeddingModel model() {
                return embedder.model();
            }

            @Override
            public List<float[]> embed(List<String> texts) {
                return texts.stream().map(t -> new float[8]).toList();
            }
        };
        SyncReport dims = Reconciler.builder().store(store).source(source).embedder(shortVectors).tempDirectory(temp)
                .build().sync(T, false);
        String m = dims.failure().orElseThrow().getMessage();
        assertTrue(m.contains("dimension: expected 16 but was 8"), m);
    }

    @Test
    void sourcesOutOfOrderDuplicatedOrOfAnotherTenantAreRefusedByName() throws IOException {
        fillSource(T, 3);
        reconciler().build().sync(T, false);
        long count = store.stats().records();
        record Listed(List<SourceRecord> list) implements SourceOfTruth {
            public String describe() {
                return "listed";
            }

            public Stream<String> tenants() {
                return Stream.of(T);
            }

            public Stream<SourceRecord> records(String tenant) {
                return list.stream();
            }
        }
        SourceRecord a = new SourceRecord(T, "a", "x", Map.of());
        SourceRecord b = new SourceRecord(T, "b", "x", Map.of());
        SourceRecord other = new SourceRecord("other", "c", "x", Map.of());

        SourceException order = assertThrows(SourceException.class, () -> Reconciler.builder().store(store)
                .source(new Listed(List.of(b, a))).build().check(T));
        assertTrue(order.getMessage().contains("'a' after 'b'"), order.getMessage());
        SourceException dup = assertThrows(SourceException.class, () -> Reconciler.builder().store(store)
                .source(new Listed(List.of(a, a))).build().check(T));
        assertTrue(dup.getMessage().contains("'a' after 'a'"), dup.getMessage());
        SyncReport wrongTenant = Reconciler.builder().store(store).source(new Listed(List.of(a, other)))
                .embedder(embedder).tempDirectory(temp).build().sync(T, false);
        String m = assertInstanceOf(SourceException.class, wrongTenant.failure().orElseThrow()).getMessage();
        assertTrue(m.contains("tenant of record 'c': expected acme but was other"), m);
        assertEquals(count, store.stats().records(), "nothing was written or deleted");
    }

    @Test
    void syncAllRunsEveryTenantOfSourceAndStoreAndSurvivesAFailingOne() throws IOException {
        for (String t : List.of("t1", "t2", "t3", "t4")) {
            fillSource(t, 6);
        }
        Reconciler r = reconciler().concurrency(3).build();
        ReconcileSummary first = r.syncAll(false);
        assertEquals(new ReconcileSummary(4, 0, 4, 4, 0, List.of(), first.took()), first);

        source.put("t1", "extra", "new");                 // t1 out of sync
        for (int i = 0; i < 6; i++) {
            source.remove("t4", id(i));                    // t4 only in the store now: all stale
        }
        source.failOn("t3");                               // t3 fails
        fillSource("t5", 2);                               // t5 only in the source
        List<String> reported = Collections.synchronizedList(new ArrayList<>());
        Reconciler all = reconciler().concurrency(3).listener(new ReconcileListener() {
            @Override
            public void synced(SyncReport report) {
                reported.add(report.tenant() + "=" + report.outcome());
            }
        }).build();

        ReconcileSummary summary = all.syncAll(false);

        assertEquals(5, summary.checked());
        assertEquals(1, summary.inSync());
        assertEquals(3, summary.outOfSync());
        assertEquals(3, summary.synced());
        assertEquals(1, summary.failed());
        assertFalse(summary.allInSync());
        assertEquals("t3", summary.failures().get(0).tenant());
        assertTrue(summary.failures().get(0).error().getMessage().contains("tenant t3 is unreadable"));
        assertEquals(List.of("t1=SYNCED", "t2=IN_SYNC", "t3=FAILED", "t4=SYNCED", "t5=SYNCED"),
                reported.stream().sorted().toList());
        try (Stream<String> tenants = store.tenants()) {
            assertEquals(List.of("t1", "t2", "t3", "t5"), tenants.toList());
        }
        for (String t : List.of("t1", "t2", "t5")) {
            assertMirrors(store, source, t, fp);
        }

        ReconcileSummary check = reconciler().build().checkAll();
        assertEquals(4, check.checked());
        assertEquals(3, check.inSync());
        assertEquals(0, check.outOfSync());
        assertEquals(1, check.failed());
    }

    @Test
    void aTenantNameNoStoreCanHoldFailsThatTenantOnly() throws IOException {
        fillSource("a", 2);
        fillSource("d", 2);
        SourceOfTruth badNames = new SourceOfTruth() {
            public String describe() {
                return "bad names";
            }

            public Stream<String> tenants() {
                return Stream.of("a", "b\tc", "d");
            }

            public Stream<SourceRecord> records(String tenant) throws IOException {
                return source.records(tenant);
            }
        };
        for (int concurrency : new int[] {1, 3}) {
            ReconcileSummary summary = Reconciler.builder().store(store).source(badNames).embedder(embedder)
                    .tempDirectory(temp).concurrency(concurrency).build().syncAll(false);
            assertEquals(3, summary.checked(), "concurrency " + concurrency);
            assertEquals(1, summary.failed());
            assertEquals("b\tc", summary.failures().get(0).tenant());
            assertFalse(summary.allInSync());
        }
        assertMirrors(store, source, "d", fp);
    }

    @Test
    void longIdListsSpillToDiskAndTheSpillFilesAreRemoved() throws IOException {
        fillSource(T, 120);
        Reconciler r = reconciler().spillThreshold(5).writeBatchSize(50).build();
        assertEquals(Outcome.SYNCED, r.sync(T, false).outcome());
        for (int i = 0; i < 40; i++) {
            source.remove(T, id(i));
        }
        SyncReport report = r.sync(T, false);
        assertEquals(40, report.deleted());
        assertMirrors(store, source, T, fp);
        try (Stream<Path> left = Files.list(temp)) {
            assertEquals(List.of(), left.toList(), "spill files are deleted");
        }
    }

    @Test
    void aSecondSyncOfTheSameTenantWaitsForTheFirstAndThenFindsItInSync() throws Exception {
        fillSource(T, 10);
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Reconciler blocking = reconciler().listener(new ReconcileListener() {
            @Override
            public void progress(String tenant, Phase phase, long done, long total) {
                if (phase == Phase.EMBED) {
                    inside.countDown();
                    await(release);
                }
            }
        }).build();
        AtomicReference<SyncReport> first = new AtomicReference<>();
        Thread a = new Thread(() -> first.set(blocking.sync(T, false)));
        a.start();
        assertTrue(inside.await(30, TimeUnit.SECONDS));

        SyncReport impatient = reconciler().lockTimeout(Duration.ofMillis(50)).build().sync(T, false);
        assertEquals(Outcome.FAILED, impatient.outcome());
        LockTimeoutException e = assertInstanceOf(LockTimeoutException.class, impatient.failure().orElseThrow());
        assertTrue(e.getMessage().contains("tenant 'acme'"), e.getMessage());

        AtomicReference<SyncReport> second = new AtomicReference<>();
        Thread b = new Thread(() -> second.set(reconciler().build().sync(T, false)));
        b.start();
        while (LocalTenantLocks.users(RepairLocks.scope(store), T) < 2) {
            assertTrue(b.isAlive(), "the second sync waits for the lock");
            Thread.onSpinWait();
        }
        release.countDown();
        a.join();
        b.join();

        assertEquals(Outcome.SYNCED, first.get().outcome());
        assertEquals(Outcome.IN_SYNC, second.get().outcome());
        assertEquals(10, embedder.texts(), "every record embedded once");
    }

    @Test
    void corpusFilesAreASourceOfTruth() throws IOException {
        Path jsonl = temp.resolve("corpus.jsonl");
        Files.writeString(jsonl, """
                {"id": "b", "tenant": "x", "text": "beta"}
                {"id": "a", "tenant": "x", "text": "alpha", "metadata": {"lang": "en"}}
                {"id": "a", "tenant": "y", "text": "other tenant"}
                """);
        CorpusSource corpus = CorpusSource.read(jsonl);
        try (Stream<String> tenants = corpus.tenants()) {
            assertEquals(List.of("x", "y"), tenants.toList());
        }
        assertEquals(java.util.Set.of("a"), corpus.existing("x", List.of("a", "zz")));
        Reconciler r = Reconciler.builder().store(store).source(corpus).embedder(embedder).tempDirectory(temp).build();
        assertEquals(2, r.syncAll(false).synced());
        assertTrue(r.check("x").inSync());
        List<SearchHit> hits = store.search(SearchRequest.of("x", embedder.embed("alpha"), 1));
        assertEquals("a", hits.get(0).id());
        assertEquals(Map.of("lang", "en"), hits.get(0).metadata());
    }

    private static void await(CountDownLatch latch) {
        try {
            assertTrue(latch.await(30, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** Fails on its n-th call. */
    static final class FailingEmbedder implements Embedder {
        private final Embedder delegate;
        private final int failOn;
        private int calls;

        FailingEmbedder(Embedder delegate, int failOn) {
            this.delegate = delegate;
            this.failOn = failOn;
        }

        @Override
        public EmbeddingModel model() {
            return delegate.model();
        }

        @Override
        public int preferredBatchSize() {
            return delegate.preferredBatchSize();
        }

        @Override
        public synchronized List<float[]> embed(List<String> texts) throws IOException {
            if (++calls == failOn) {
                throw new EmbeddingException("model crashed on call " + calls);
            }
            return delegate.embed(texts);
        }
    }
}
