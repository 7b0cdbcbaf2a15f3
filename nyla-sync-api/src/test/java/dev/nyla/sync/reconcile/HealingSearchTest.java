package dev.nyla.sync.reconcile;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.demo.HashingEmbedder;
import dev.nyla.sync.reconcile.SyncReport.Outcome;
import dev.nyla.sync.store.SearchHit;
import dev.nyla.sync.store.SearchRequest;
import dev.nyla.sync.store.internal.MemoryVectorStore;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Auto-heal: unknown hits are dropped, reported, and repaired once, debounced and rate-limited. */
class HealingSearchTest {
    private static final Duration DEBOUNCE = Duration.ofSeconds(2);
    private static final Duration MIN_INTERVAL = Duration.ofMinutes(1);

    @TempDir
    Path temp;

    private MemoryVectorStore store;
    private MapSource source;
    private HashingEmbedder embedder;
    private Reconciler reconciler;
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final List<Scheduled> scheduled = new ArrayList<>();
    private final List<String> events = Collections.synchronizedList(new ArrayList<>());

    private record Scheduled(Runnable task, Duration delay) {
    }

    @BeforeEach
    void setUp() throws IOException {
        store = new MemoryVectorStore();
        source = new MapSource();
        embedder = new HashingEmbedder(16);
        for (String tenant : List.of("a", "b")) {
            for (int i = 0; i < 10; i++) {
                source.put(tenant, "p" + i, "profile entry number " + i);
            }
        }
        reconciler = Reconciler.builder().store(store).source(source).embedder(embedder).tempDirectory(temp).build();
        assertTrue(reconciler.syncAll(false).allInSync());
    }

    @AfterEach
    void tearDown() throws IOException {
        store.close();
    }

    private HealingSearch.Builder healing() {
        return HealingSearch.builder(reconciler).debounce(DEBOUNCE).minInterval(MIN_INTERVAL)
                .clock((task, delay) -> scheduled.add(new Scheduled(task, delay)), now::get)
                .listener(new HealListener() {
                    @Override
                    public void unknownHits(String tenant, List<String> ids) {
                        events.add("unknown " + tenant + " " + ids);
                    }

                    @Override
                    public void repairScheduled(String tenant, Duration delay) {
                        events.add("scheduled " + tenant + " in " + delay.toSeconds() + "s");
                    }

                    @Override
                    public void repairSkipped(String tenant, String reason) {
                        events.add("skipped " + tenant + ": " + reason);
                    }

                    @Override
                    public void repaired(SyncReport report) {
                        events.add("repaired " + report.tenant() + " " + report.outcome() + " deleted=" + report.deleted());
                    }

                    @Override
                    public void probeFailed(String tenant, Exception error) {
                        events.add("probe failed " + tenant);
                    }
                });
    }

    private SearchRequest query(String tenant, int i, int k) throws IOException {
        return SearchRequest.of(tenant, embedder.embed("profile entry number " + i), k);
    }

    private static List<String> ids(List<SearchHit> hits) {
        return hits.stream().map(SearchHit::id).toList();
    }

    @Test
    void anUnknownHitIsDroppedTheResultRefilledAndOneDebouncedRepairHealsTheTenant() throws IOException {
        List<String> before = ids(store.search(query("a", 3, 4)));
        assertEquals("p3", before.get(0));
        source.remove("a", "p3");
        HealingSearch search = healing().build();

        List<SearchHit> hits = search.search(query("a", 3, 4));

        assertEquals(4, hits.size(), "refilled to k from the store");
        assertFalse(ids(hits).contains("p3"));
        assertEquals(before.subList(1, 4), ids(hits).subList(0, 3), "the known hits keep their order");
        assertEquals(List.of("unknown a [p3]", "scheduled a in 2s"), events);
        assertEquals(1, scheduled.size());
        assertEquals(DEBOUNCE, scheduled.get(0).delay());

        search.search(query("a", 3, 4));
        assertEquals(1, scheduled.size(), "a second unknown hit joins the scheduled repair");

        scheduled.get(0).task().run();

        assertEquals("repaired a SYNCED deleted=1", events.get(events.size() - 1));
        assertTrue(reconciler.check("a").inSync());
        int probes = source.probes();
        assertEquals(before.subList(1, 4), ids(search.search(query("a", 3, 3))));
        assertEquals(probes + 1, source.probes(), "a healthy result costs one probe");
        assertEquals(1, scheduled.size(), "and schedules nothing");
    }

    @Test
    void aTenantIsRepairedAtMostOncePerMinimumInterval() throws IOException {
        HealingSearch search = healing().build();
        source.remove("a", "p1");
        search.search(query("a", 1, 3));
        now.addAndGet(DEBOUNCE.toNanos());
        scheduled.get(0).task().run();

        now.addAndGet(Duration.ofSeconds(10).toNanos());
        source.remove("a", "p2");
        search.search(query("a", 2, 3));

        assertEquals(2, scheduled.size());
        assertEquals(Duration.ofSeconds(50), scheduled.get(1).delay(), "a minute after the last repair started");
    }

    @Test
    void repairsOverTheHourlyLimitAreSkippedUntilTheHourHasPassed() throws IOException {
        HealingSearch search = healing().maxRepairsPerHour(1).build();
        source.remove("a", "p1").remove("b", "p1");

        search.search(query("a", 1, 3));
        search.search(query("b", 1, 3));

        assertEquals(1, scheduled.size());
        assertTrue(events.contains("skipped b: rate limit: 1 repairs in the last hour (at most 1)"), events.toString());

        now.addAndGet(Duration.ofHours(1).toNanos());
        search.search(query("b", 1, 3));
        assertEquals(2, scheduled.size());
    }

    @Test
    void disabledItIsAPlainSearch() throws IOException {
        source.remove("a", "p3");
        HealingSearch search = healing().enabled(false).build();

        List<SearchHit> hits = search.search(query("a", 3, 3));

        assertEquals("p3", hits.get(0).id(), "the unknown hit is returned as the store has it");
        assertEquals(0, source.probes());
        assertEquals(List.of(), scheduled);
        assertFalse(search.enabled());
    }

    @Test
    void aFailingProbeReturnsTheHitsUncheckedAndSchedulesNothing() throws IOException {
        source.remove("a", "p3").failProbes(true);
        HealingSearch search = healing().build();

        List<SearchHit> hits = search.search(query("a", 3, 3));

        assertEquals("p3", hits.get(0).id());
        assertEquals(List.of("probe failed a"), events);
        assertEquals(List.of(), scheduled);
    }

    @Test
    void onItsOwnThreadARepairRunsAndHealsTheStore() throws Exception {
        source.remove("b", "p5");
        CountDownLatch repaired = new CountDownLatch(1);
        AtomicReference<SyncReport> report = new AtomicReference<>();
        try (HealingSearch search = HealingSearch.builder(reconciler).debounce(Duration.ZERO)
                .listener(new HealListener() {
                    @Override
                    public void repaired(SyncReport r) {
                        report.set(r);
                        repaired.countDown();
                    }
                }).build()) {
            assertFalse(ids(search.search(query("b", 5, 2))).contains("p5"));
            assertTrue(repaired.await(1, TimeUnit.MINUTES));
        }
        assertEquals(Outcome.SYNCED, report.get().outcome());
        assertTrue(reconciler.check("b").inSync());
    }

    @Test
    void closingDropsWaitingRepairsAndLaterSearchesStillAnswer() throws IOException {
        source.remove("a", "p4");
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        HealingSearch search = HealingSearch.builder(reconciler).debounce(Duration.ofHours(1))
                .listener(new HealListener() {
                    @Override
                    public void repairScheduled(String tenant, Duration delay) {
                        seen.add("scheduled " + tenant);
                    }

                    @Override
                    public void repairSkipped(String tenant, String reason) {
                        seen.add("skipped " + tenant + ": " + reason.startsWith("the repair executor refused it"));
                    }

                    @Override
                    public void repaired(SyncReport report) {
                        seen.add("repaired " + report.tenant());
                    }
                }).build();
        search.search(query("a", 4, 3));
        search.close();

        List<SearchHit> after = search.search(query("a", 4, 3));

        assertFalse(ids(after).contains("p4"), "still filtered after close");
        assertEquals(List.of("scheduled a", "skipped a: true"), seen, "the waiting repair was dropped, not run");
        assertFalse(reconciler.check("a").inSync());
    }

    @Test
    void healingNeedsAReconcilerThatCanSync() {
        Reconciler checkOnly = Reconciler.builder().store(store).source(source).build();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> HealingSearch.builder(checkOnly).enabled(true).build());
        assertTrue(e.getMessage().contains("embedder"), e.getMessage());
    }
}
