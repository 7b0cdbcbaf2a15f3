package dev.nyla.sync.store;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.DimensionMismatchException;
import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.RecordKeys;
import dev.nyla.sync.Similarity;
import dev.nyla.sync.TestData;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.store.internal.MemoryVectorStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The behaviour every {@link VectorStore} adapter must have. An adapter's test class extends this and
 * says how to open its store; the reference {@link MemoryVectorStore} runs it too, so the expected
 * results here are computed by brute force, never hard-coded.
 *
 * <p>Shipped in the API's test-jar: depend on {@code nyla-sync-api} with {@code <type>test-jar</type>}.
 */
public abstract class VectorStoreContract {
    protected static final int DIM = 16;
    protected static final EmbeddingModel MODEL = TestData.model(DIM, Similarity.COSINE);

    @TempDir
    protected Path dir;
    protected VectorStore store;

    /** Opens (creating) the store under test, keeping its data in {@code directory} if it keeps any there. */
    protected abstract VectorStore openStore(Path directory) throws IOException;

    /** Whether a closed and reopened store still has its generations; in-memory stores say no. */
    protected boolean isDurable() {
        return true;
    }

    @BeforeEach
    void openTheStore() throws IOException {
        store = openStore(dir);
    }

    @AfterEach
    void closeTheStore() throws IOException {
        if (store != null) {
            store.close();
        }
    }

    /** Installs {@code records} (sorted here: writers take keys in ascending order) as a committed generation. */
    protected Generation install(EmbeddingModel model, long version, List<VectorRecord> records) throws IOException {
        try (GenerationWriter w = store.newGeneration(GenerationSpec.of(version, "v" + version, model))) {
            for (VectorRecord r : sorted(records)) {
                w.add(r);
            }
            return w.commit();
        }
    }

    protected static List<VectorRecord> sorted(List<VectorRecord> records) {
        return records.stream().sorted((a, b) -> RecordKeys.compare(a.tenant(), a.id(), b.tenant(), b.id())).toList();
    }

    protected List<String> tenants() throws IOException {
        try (Stream<String> s = store.tenants()) {
            return s.toList();
        }
    }

    protected Generation installAndActivate(long version, List<VectorRecord> records) throws IOException {
        Generation g = install(MODEL, version, records);
        store.activate(g.id());
        return g;
    }

    /** Exact top-k by brute force, the order every store must reproduce. */
    protected static List<String> exactTopK(EmbeddingModel model, List<VectorRecord> records, float[] query, int k,
                                            Map<String, String> filter) {
        return records.stream()
                .filter(r -> r.metadata().entrySet().containsAll(filter.entrySet()))
                .sorted(Comparator.<VectorRecord>comparingDouble(r -> -model.similarity().score(query, r.vector()))
                        .thenComparing(VectorRecord::id, RecordKeys.ORDER))
                .limit(k).map(VectorRecord::id).toList();
    }

    private static List<String> ids(List<SearchHit> hits) {
        return hits.stream().map(SearchHit::id).toList();
    }

    @Test
    void newStoreHasNoActiveGenerationAndFindsNothing() throws IOException {
        assertTrue(store.activeGeneration().isEmpty());
        assertEquals(List.of(), store.search(SearchRequest.of(new float[DIM], 5)));
        assertEquals(List.of(), tenants());
        assertEquals(0, store.stats().activeGenerationId());
    }

    @Test
    void committedGenerationIsInvisibleUntilActivated() throws IOException {
        Generation g = install(MODEL, 1, TestData.records(MODEL, "default", 10, 1, Map.of()));
        assertTrue(store.activeGeneration().isEmpty(), "a committed generation must not be active by itself");
        assertEquals(List.of(), store.search(SearchRequest.of(new float[DIM], 5)));
        store.activate(g.id());
        assertEquals(g.id(), store.activeGeneration().orElseThrow().id());
        assertEquals(5, store.search(SearchRequest.of(TestData.unitVector(new Random(9), DIM), 5)).size());
    }

    @Test
    void generationKeepsVersionLabelModelAndAttributes() throws IOException {
        GenerationSpec spec = new GenerationSpec(42, "release 42", MODEL, Map.of("manifestSha256", "abc"));
        Generation g;
        try (GenerationWriter w = store.newGeneration(spec)) {
            TestData.records(MODEL, "default", 3, 2, Map.of()).forEach(r -> assertDoesNotThrow(() -> w.add(r)));
            g = w.commit();
        }
        store.activate(g.id());
        Generation active = store.activeGeneration().orElseThrow();
        assertEquals(42, active.version());
        assertEquals("release 42", active.label());
        assertEquals(MODEL, active.model());
        assertEquals(3, active.recordCount());
        assertEquals("abc", active.attributes().get("manifestSha256"));
    }

    @Test
    void activatingANewGenerationReplacesAllRecords() throws IOException {
        installAndActivate(1, TestData.records(MODEL, "default", 20, 1, Map.of("gen", "1")));
        Generation second = installAndActivate(2, TestData.records(MODEL, "default", 7, 2, Map.of("gen", "2")));
        List<SearchHit> hits = store.search(SearchRequest.of(TestData.unitVector(new Random(3), DIM), 50));
        assertEquals(7, hits.size());
        assertTrue(hits.stream().allMatch(h -> h.metadata().get("gen").equals("2")));
        assertEquals(second.id(), store.stats().activeGenerationId());
        assertEquals(7, store.stats().records());
    }

    @Test
    void rollbackReturnsToThePreviousGeneration() throws IOException {
        Generation first = installAndActivate(1, TestData.records(MODEL, "default", 5, 1, Map.of("gen", "1")));
        installAndActivate(2, TestData.records(MODEL, "default", 5, 2, Map.of("gen", "2")));
        Generation back = store.rollback();
        assertEquals(first.id(), back.id());
        assertEquals(first.id(), store.activeGeneration().orElseThrow().id());
        List<SearchHit> hits = store.search(SearchRequest.of(TestData.unitVector(new Random(3), DIM), 5));
        assertTrue(hits.stream().allMatch(h -> h.metadata().get("gen").equals("1")));
    }

    @Test
    void rollbackWithoutAnEarlierGenerationFailsAndKeepsServing() throws IOException {
        Generation only = installAndActivate(1, TestData.records(MODEL, "default", 5, 1, Map.of()));
        StoreException e = assertThrows(StoreException.class, store::rollback);
        assertTrue(e.getMessage().contains("roll back"), e.getMessage());
        assertEquals(only.id(), store.activeGeneration().orElseThrow().id());
    }

    @Test
    void activatingAMissingGenerationFails() throws IOException {
        Generation g = installAndActivate(1, TestData.records(MODEL, "default", 5, 1, Map.of()));
        assertThrows(StoreException.class, () -> store.activate(g.id() + 1000));
        assertEquals(g.id(), store.activeGeneration().orElseThrow().id());
    }

    @ParameterizedTest
    @EnumSource(Similarity.class)
    void searchOrderAndScoresMatchExactSearch(Similarity similarity) throws IOException {
        EmbeddingModel model = TestData.model(DIM, similarity);
        List<VectorRecord> records = TestData.records(model, "default", 200, 7, Map.of());
        store.activate(install(model, 1, records).id());
        Random random = new Random(11);
        for (int q = 0; q < 10; q++) {
            float[] query = TestData.unitVector(random, DIM);
            List<SearchHit> hits = store.search(SearchRequest.of(query, 10));
            assertEquals(exactTopK(model, records, query, 10, Map.of()), ids(hits), "query " + q + " with " + similarity);
            for (SearchHit h : hits) {
                VectorRecord r = records.stream().filter(x -> x.id().equals(h.id())).findFirst().orElseThrow();
                assertEquals(similarity.score(query, r.vector()), h.score(), 1e-4, "score of " + h.id());
                assertEquals(r.text(), h.text());
            }
            for (int i = 1; i < hits.size(); i++) {
                assertTrue(hits.get(i - 1).score() >= hits.get(i).score(), "hits are best first");
            }
        }
    }

    @Test
    void searchStaysWithinTheTenantAndAppliesEveryFilterEntry() throws IOException {
        List<VectorRecord> all = new ArrayList<>();
        all.addAll(TestData.records(MODEL, "alice", 30, 1, Map.of("lang", "en", "kind", "faq")));
        all.addAll(TestData.records(MODEL, "alice", 0, 2, Map.of()));
        List<VectorRecord> aliceDe = TestData.records(MODEL, "alice", 30, 3, Map.of("lang", "de", "kind", "faq"))
                .stream().map(r -> VectorRecord.of("alice", "de-" + r.id(), r.text(), r.metadata(), MODEL, r.vector()))
                .toList();
        all.addAll(aliceDe);
        all.addAll(TestData.records(MODEL, "bob", 30, 4, Map.of("lang", "en", "kind", "faq")));
        installAndActivate(1, all);
        float[] query = TestData.unitVector(new Random(5), DIM);

        List<SearchHit> bob = store.search(SearchRequest.of("bob", query, 100));
        assertEquals(30, bob.size());
        assertTrue(bob.stream().allMatch(h -> h.tenant().equals("bob")));

        Map<String, String> filter = Map.of("lang", "de", "kind", "faq");
        List<SearchHit> de = store.search(SearchRequest.of("alice", query, 5).withFilter(filter));
        List<VectorRecord> alice = all.stream().filter(r -> r.tenant().equals("alice")).toList();
        assertEquals(exactTopK(MODEL, alice, query, 5, filter), ids(de));

        assertEquals(List.of(), store.search(SearchRequest.of("alice", query, 5).withFilter(Map.of("lang", "fr"))));
        assertEquals(List.of(), store.search(SearchRequest.of("carol", query, 5)));
        assertEquals(List.of("alice", "bob"), tenants());
    }

    @Test
    void searchWithAWrongDimensionIsRefused() throws IOException {
        installAndActivate(1, TestData.records(MODEL, "default", 5, 1, Map.of()));
        DimensionMismatchException e = assertThrows(DimensionMismatchException.class,
                () -> store.search(SearchRequest.of(new float[DIM + 1], 3)));
        assertEquals(String.valueOf(DIM), e.expected());
        assertEquals(String.valueOf(DIM + 1), e.actual());
    }

    @Test
    void writerRefusesAVectorOfTheWrongDimension() throws IOException {
        EmbeddingModel wide = TestData.model(DIM * 2, Similarity.COSINE);
        try (GenerationWriter w = store.newGeneration(GenerationSpec.of(2, "v2", MODEL))) {
            w.add(TestData.records(MODEL, "a", 1, 2, Map.of()).get(0));
            DimensionMismatchException e = assertThrows(DimensionMismatchException.class,
                    () -> w.add(TestData.records(wide, "b", 1, 3, Map.of()).get(0)));
            assertEquals(String.valueOf(DIM), e.expected());
        }
    }

    @Test
    void writerRefusesKeysOutOfOrderOrRepeated() throws IOException {
        List<VectorRecord> records = TestData.records(MODEL, "t", 3, 1, Map.of());
        try (GenerationWriter w = store.newGeneration(GenerationSpec.of(1, "v1", MODEL))) {
            w.add(records.get(1));
            assertThrows(IllegalArgumentException.class, () -> w.add(records.get(0)));
            assertThrows(IllegalArgumentException.class, () -> w.add(records.get(1)));
            assertThrows(IllegalArgumentException.class, () -> w.delete("t", records.get(1).id()));
            w.add(records.get(2));
            assertEquals(2, w.commit().recordCount());
        }
    }

    @Test
    void anAbortedOrClosedWriterCommitsNothingAndCannotBeUsedAgain() throws IOException {
        Generation g = installAndActivate(1, TestData.records(MODEL, "default", 5, 1, Map.of()));
        GenerationWriter aborted = store.newGeneration(GenerationSpec.of(2, "v2", MODEL));
        aborted.add(TestData.records(MODEL, "default", 1, 2, Map.of()).get(0));
        aborted.abort();
        assertThrows(StoreException.class, aborted::commit);
        assertThrows(StoreException.class, () -> aborted.add(TestData.records(MODEL, "z", 1, 3, Map.of()).get(0)));
        aborted.close();
        GenerationWriter closed = store.newGeneration(GenerationSpec.of(3, "v3", MODEL));
        closed.add(TestData.records(MODEL, "default", 1, 4, Map.of()).get(0));
        closed.close();
        assertThrows(StoreException.class, closed::commit);
        assertEquals(List.of(g.id()), store.generations().stream().map(Generation::id).toList());
        Generation next = install(MODEL, 4, TestData.records(MODEL, "default", 2, 5, Map.of()));
        assertTrue(next.id() > g.id());
    }

    @Test
    void aWriterCommitsOnlyOnce() throws IOException {
        try (GenerationWriter w = store.newGeneration(GenerationSpec.of(1, "v1", MODEL))) {
            w.add(TestData.records(MODEL, "t", 1, 1, Map.of()).get(0));
            w.commit();
            assertThrows(StoreException.class, w::commit);
        }
        assertEquals(1, store.generations().size());
    }

    @Test
    void inventoryIsSortedByCodePointAndCarriesHashesAndFingerprint() throws IOException {
        // "\uD83D\uDE00" (an emoji, above U+FFFF) sorts after "\uFF5E" by code point but before it in UTF-16.
        List<String> ids = List.of("b", "a", "\uFF5E", "\uD83D\uDE00", "a-1", "Z");
        Random random = new Random(1);
        List<VectorRecord> records = new ArrayList<>();
        for (String id : ids) {
            records.add(VectorRecord.of("t", id, "text " + id, Map.of(), MODEL, TestData.unitVector(random, DIM)));
        }
        installAndActivate(1, records);
        List<InventoryEntry> inventory;
        try (Stream<InventoryEntry> s = store.inventory("t")) {
            inventory = s.toList();
        }
        List<String> expected = ids.stream().sorted(RecordKeys.ORDER).toList();
        assertEquals(List.of("Z", "a", "a-1", "b", "\uFF5E", "\uD83D\uDE00"), expected);
        assertEquals(expected, inventory.stream().map(InventoryEntry::id).toList());
        for (InventoryEntry e : inventory) {
            VectorRecord r = records.stream().filter(x -> x.id().equals(e.id())).findFirst().orElseThrow();
            assertEquals(r.contentHash(), e.contentHash());
            assertEquals(MODEL.fingerprint(), e.modelFingerprint());
        }
        try (Stream<InventoryEntry> s = store.inventory("nobody")) {
            assertEquals(0, s.count());
        }
    }

    @Test
    void upsertInsertsAndReplacesAndReportsWhichIsWhich() throws IOException {
        List<VectorRecord> records = TestData.records(MODEL, "default", 10, 1, Map.of());
        installAndActivate(1, records);
        VectorRecord changed = VectorRecord.of("default", records.get(3).id(), "new text", Map.of("v", "2"), MODEL,
                TestData.unitVector(new Random(99), DIM));
        VectorRecord added = VectorRecord.of("default", "new-doc", "brand new", Map.of(), MODEL,
                TestData.unitVector(new Random(98), DIM));
        WriteResult result = store.upsert(List.of(changed, added));
        assertEquals(WriteResult.upserted(1, 1), result);
        assertEquals(11, store.stats().records());
        List<SearchHit> hit = store.search(SearchRequest.of(changed.vector(), 1));
        assertEquals(changed.id(), hit.get(0).id());
        assertEquals("new text", hit.get(0).text());
        assertEquals(Map.of("v", "2"), hit.get(0).metadata());
        try (Stream<InventoryEntry> s = store.inventory("default")) {
            Map<String, String> hashes = s.collect(Collectors.toMap(InventoryEntry::id, InventoryEntry::contentHash));
            assertEquals(changed.contentHash(), hashes.get(changed.id()));
            assertEquals(added.contentHash(), hashes.get("new-doc"));
        }
    }

    @Test
    void deleteRemovesRecordsAndCountsIdsItDidNotFind() throws IOException {
        List<VectorRecord> records = TestData.records(MODEL, "default", 10, 1, Map.of());
        installAndActivate(1, records);
        WriteResult result = store.delete("default", List.of(records.get(0).id(), records.get(1).id(), "no-such-id"));
        assertEquals(WriteResult.deleted(2, 1), result);
        assertEquals(8, store.stats().records());
        List<SearchHit> hits = store.search(SearchRequest.of(records.get(0).vector(), 10));
        assertFalse(ids(hits).contains(records.get(0).id()));
        assertEquals(WriteResult.deleted(0, 1), store.delete("other-tenant", List.of("x")));
    }

    @Test
    void mutationsWithoutAnActiveGenerationFail() {
        VectorRecord r = TestData.records(MODEL, "default", 1, 1, Map.of()).get(0);
        assertThrows(StoreException.class, () -> store.upsert(List.of(r)));
        assertThrows(StoreException.class, () -> store.delete("default", List.of("x")));
    }

    @Test
    void upsertOfAWrongDimensionIsRefusedAndChangesNothing() throws IOException {
        installAndActivate(1, TestData.records(MODEL, "default", 4, 1, Map.of()));
        EmbeddingModel wide = TestData.model(DIM * 2, Similarity.COSINE);
        VectorRecord good = VectorRecord.of("default", "good", "g", Map.of(), MODEL, TestData.unitVector(new Random(1), DIM));
        VectorRecord bad = TestData.records(wide, "default", 1, 2, Map.of()).get(0);
        assertThrows(DimensionMismatchException.class, () -> store.upsert(List.of(good, bad)));
        assertEquals(4, store.stats().records(), "a refused batch must not be half-applied");
    }

    @Test
    void generationFromABaseAppliesChangesAndLeavesTheBaseAlone() throws IOException {
        List<VectorRecord> v1 = TestData.records(MODEL, "default", 10, 1, Map.of("gen", "1"));
        Generation base = installAndActivate(1, v1);
        VectorRecord replaced = VectorRecord.of("default", v1.get(5).id(), "replaced", Map.of("gen", "2"), MODEL,
                TestData.unitVector(new Random(50), DIM));
        VectorRecord added = VectorRecord.of("default", "zz-added", "added", Map.of("gen", "2"), MODEL,
                TestData.unitVector(new Random(51), DIM));
        Generation next;
        try (GenerationWriter w = store.newGeneration(GenerationSpec.of(2, "v2", MODEL), base.id())) {
            assertEquals(10, w.recordCount());
            w.delete("default", v1.get(0).id());
            w.add(replaced);
            w.delete("default", "not-there");
            w.add(added);
            assertEquals(10, w.recordCount());
            next = w.commit();
        }
        assertEquals(10, next.recordCount());
        // The base is untouched until the new generation is activated.
        assertEquals(10, store.search(SearchRequest.of(added.vector(), 100)).stream()
                .filter(h -> h.metadata().get("gen").equals("1")).count());
        store.activate(next.id());
        List<SearchHit> hits = store.search(SearchRequest.of(added.vector(), 100));
        Set<String> now = new HashSet<>(ids(hits));
        assertEquals(10, now.size());
        assertFalse(now.contains(v1.get(0).id()));
        assertTrue(now.contains("zz-added"));
        assertEquals("replaced", hits.stream().filter(h -> h.id().equals(replaced.id())).findFirst().orElseThrow().text());
        assertThrows(StoreException.class, () -> store.newGeneration(GenerationSpec.of(3, "v3", MODEL), 987_654));
    }

    @Test
    void deletingTheActiveGenerationIsRefusedButAnInactiveOneGoes() throws IOException {
        Generation first = installAndActivate(1, TestData.records(MODEL, "default", 3, 1, Map.of()));
        Generation second = installAndActivate(2, TestData.records(MODEL, "default", 3, 2, Map.of()));
        assertThrows(StoreException.class, () -> store.deleteGeneration(second.id()));
        store.deleteGeneration(first.id());
        assertEquals(List.of(second.id()), store.generations().stream().map(Generation::id).toList());
        assertThrows(StoreException.class, store::rollback, "the deleted generation cannot be rolled back to");
        assertEquals(second.id(), store.activeGeneration().orElseThrow().id());
        assertThrows(StoreException.class, () -> store.deleteGeneration(first.id()), "already deleted");
    }

    @Test
    void rollingBackTwiceWalksBackThroughActivations() throws IOException {
        Generation first = installAndActivate(1, TestData.records(MODEL, "default", 2, 1, Map.of()));
        Generation second = installAndActivate(2, TestData.records(MODEL, "default", 2, 2, Map.of()));
        installAndActivate(3, TestData.records(MODEL, "default", 2, 3, Map.of()));
        assertEquals(second.id(), store.rollback().id());
        assertEquals(first.id(), store.rollback().id());
        assertThrows(StoreException.class, store::rollback);
        assertEquals(first.id(), store.activeGeneration().orElseThrow().id());
    }

    @Test
    void anOpenInventoryStreamKeepsReadingTheGenerationItStartedOn() throws IOException {
        installAndActivate(1, TestData.records(MODEL, "t", 50, 1, Map.of("gen", "1")));
        List<VectorRecord> second = TestData.records(MODEL, "t", 50, 2, Map.of("gen", "2"));
        Set<String> secondHashes = second.stream().map(VectorRecord::contentHash).collect(Collectors.toSet());
        try (Stream<InventoryEntry> open = store.inventory("t")) {
            var it = open.iterator();
            InventoryEntry firstEntry = it.next();
            Generation g2 = install(MODEL, 2, second);
            store.activate(g2.id());
            store.deleteGeneration(store.generations().get(1).id());
            List<InventoryEntry> rest = new ArrayList<>();
            it.forEachRemaining(rest::add);
            assertEquals(49, rest.size());
            assertFalse(secondHashes.contains(firstEntry.contentHash()));
            assertTrue(rest.stream().noneMatch(e -> secondHashes.contains(e.contentHash())),
                    "an inventory must not switch generations half-way");
        }
    }

    @Test
    void aFreshlyCommittedGenerationVerifiesWithItsIdAndRecordCount() throws IOException {
        installAndActivate(1, TestData.records(MODEL, "alice", 5, 1, Map.of()));
        List<VectorRecord> records = new ArrayList<>(TestData.records(MODEL, "alice", 30, 2,
                Map.of("k\u00e9y", "v\u00e4lue \"quoted\" \uD83D\uDE00", "lang", "en")));
        records.addAll(TestData.records(MODEL, "b\u00f6b", 12, 3, Map.of()));
        Generation second = installAndActivate(2, records);
        IntegrityReport report = store.verifyActiveGeneration();
        assertEquals(second.id(), report.generationId());
        assertEquals(42, report.records());
        assertFalse(report.checked().isBlank(), "the report says what was checked");
    }

    @Test
    void verificationCountsTheRecordsMutationsLeft() throws IOException {
        List<VectorRecord> records = TestData.records(MODEL, "t", 20, 1, Map.of());
        Generation g = installAndActivate(1, records);
        VectorRecord changed = VectorRecord.of("t", records.get(4).id(), "changed text", Map.of("v", "2"), MODEL,
                TestData.unitVector(new Random(40), DIM));
        VectorRecord added = VectorRecord.of("u", "added", "added text", Map.of(), MODEL,
                TestData.unitVector(new Random(41), DIM));
        store.upsert(List.of(changed, added));
        store.delete("t", List.of(records.get(0).id(), records.get(1).id()));
        IntegrityReport report = store.verifyActiveGeneration();
        assertEquals(g.id(), report.generationId());
        assertEquals(19, report.records());
    }

    @Test
    void verifyingWithoutAnActiveGenerationFails() throws IOException {
        assertThrows(StoreException.class, store::verifyActiveGeneration);
        install(MODEL, 1, TestData.records(MODEL, "t", 3, 1, Map.of()));
        assertThrows(StoreException.class, store::verifyActiveGeneration,
                "a committed generation that was never activated is not the installed one");
    }

    @Test
    void generationsAreListedNewestFirst() throws IOException {
        Generation a = installAndActivate(1, TestData.records(MODEL, "default", 2, 1, Map.of()));
        Generation b = installAndActivate(2, TestData.records(MODEL, "default", 2, 2, Map.of()));
        Generation c = install(MODEL, 3, TestData.records(MODEL, "default", 2, 3, Map.of()));
        assertTrue(a.id() < b.id() && b.id() < c.id(), "generation ids increase");
        assertEquals(List.of(c.id(), b.id(), a.id()), store.generations().stream().map(Generation::id).toList());
        assertEquals(3, store.stats().generationsKept());
    }

    @Test
    void reopenedStoreServesTheLastActivatedGeneration() throws IOException {
        Assumptions.assumeTrue(isDurable(), "this store keeps nothing across restarts");
        installAndActivate(1, TestData.records(MODEL, "default", 5, 1, Map.of("gen", "1")));
        Generation second = installAndActivate(2, TestData.records(MODEL, "default", 6, 2, Map.of("gen", "2")));
        store.close();
        store = openStore(dir);
        assertEquals(second.id(), store.activeGeneration().orElseThrow().id());
        assertEquals(6, store.search(SearchRequest.of(TestData.unitVector(new Random(1), DIM), 10)).size());
    }

    /**
     * Readers search continuously while generations are swapped under them: no search may fail, return
     * fewer hits than records exist, or mix records of two generations; and a reader never goes back to
     * an older generation.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void concurrentReadersAlwaysSeeOneWholeGeneration() throws Exception {
        int records = 40;
        int swaps = 25;
        int readers = 3;
        installAndActivate(1, TestData.records(MODEL, "default", records, 1, Map.of("gen", "1")));
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong searches = new AtomicLong();
        Set<Integer> generationsSeen = java.util.concurrent.ConcurrentHashMap.newKeySet();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < readers; t++) {
            long seed = t;
            Thread thread = new Thread(() -> {
                Random random = new Random(seed);
                int lastGen = 0;
                try {
                    while (!stop.get()) {
                        List<SearchHit> hits = store.search(SearchRequest.of(TestData.unitVector(random, DIM), records));
                        Set<String> gens = hits.stream().map(h -> h.metadata().get("gen")).collect(Collectors.toSet());
                        if (hits.size() != records || gens.size() != 1) {
                            throw new AssertionError("saw " + hits.size() + " hits from generations " + gens);
                        }
                        int gen = Integer.parseInt(gens.iterator().next());
                        if (gen < lastGen) {
                            throw new AssertionError("went back from generation " + lastGen + " to " + gen);
                        }
                        lastGen = gen;
                        generationsSeen.add(gen);
                        searches.incrementAndGet();
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }, "reader-" + t);
            thread.start();
            threads.add(thread);
        }
        try {
            for (int gen = 2; gen <= swaps + 1; gen++) {
                Generation g = install(MODEL, gen, TestData.records(MODEL, "default", records, gen, Map.of("gen", "" + gen)));
                // Swap only once a reader has completed a search on the generation now active, so that swaps
                // happen under running searches and every generation is really served (a condition to wait
                // for, not a timed sleep; a store that never serves it fails here).
                int active = gen - 1;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (!generationsSeen.contains(active) && failures.isEmpty()) {
                    if (System.nanoTime() > deadline) {
                        fail("readers never saw generation " + active + " within 30 s: " + generationsSeen);
                    }
                    Thread.onSpinWait();
                }
                store.activate(g.id());
                if (gen > 3) {
                    store.deleteGeneration(store.generations().get(store.generations().size() - 1).id());
                }
            }
        } finally {
            stop.set(true);
            for (Thread t : threads) {
                t.join();
            }
        }
        if (!failures.isEmpty()) {
            throw new AssertionError("reader failed: " + failures.peek(), failures.peek());
        }
    }
}
