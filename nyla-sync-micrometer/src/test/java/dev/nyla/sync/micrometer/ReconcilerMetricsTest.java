package dev.nyla.sync.micrometer;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.demo.HashingEmbedder;
import dev.nyla.sync.reconcile.MapSource;
import dev.nyla.sync.reconcile.ReconcileSummary;
import dev.nyla.sync.reconcile.Reconciler;
import dev.nyla.sync.reconcile.SyncReport;
import dev.nyla.sync.store.VectorStore;
import dev.nyla.sync.store.VectorStores;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link ReconcilerMetrics} read from a {@link SimpleMeterRegistry} after real reconciler runs on a {@code memory:} store. */
class ReconcilerMetricsTest {
    @TempDir
    Path temp;
    private VectorStore store;
    private final MapSource source = new MapSource();
    private final HashingEmbedder embedder = new HashingEmbedder(16);
    private final MeterRegistry registry = new SimpleMeterRegistry();
    private final ReconcilerMetrics metrics = new ReconcilerMetrics("profiles");

    @BeforeEach
    void setUp() throws IOException {
        store = VectorStores.open("memory:");
        metrics.bindTo(registry);
    }

    @AfterEach
    void tearDown() throws IOException {
        store.close();
    }

    private Reconciler.Builder reconciler() {
        return Reconciler.builder().store(store).source(source).embedder(embedder).tempDirectory(temp);
    }

    private double count(String name, String tag, String value) {
        return registry.get(name).tags("store", "profiles", tag, value).functionCounter().count();
    }

    private double syncs(SyncReport.Outcome outcome) {
        return registry.get("nyla.sync.reconcile.syncs").tags("store", "profiles", "outcome",
                MeterFamily.tagValue(outcome)).functionTimer().count();
    }

    @Test
    void aSyncWithDriftCountsTheDriftByKindAndTheRepairs() throws IOException {
        for (int i = 0; i < 10; i++) {
            source.put("acme", "p-" + i, "text " + i);
        }
        // Filled by a reconciler without the metrics: only the drift made below is counted.
        assertEquals(SyncReport.Outcome.SYNCED, reconciler().build().sync("acme", false).outcome());
        source.put("acme", "p-10", "new").put("acme", "p-11", "new too")   // missing
                .remove("acme", "p-0")                                      // stale
                .put("acme", "p-5", "edited");                              // changed

        SyncReport report = reconciler().listener(metrics).build().sync("acme", false);

        assertEquals(SyncReport.Outcome.SYNCED, report.outcome(), () -> report.failure().toString());
        assertEquals(2, count("nyla.sync.reconcile.drift", "kind", "missing"));
        assertEquals(1, count("nyla.sync.reconcile.drift", "kind", "stale"));
        assertEquals(1, count("nyla.sync.reconcile.drift", "kind", "changed"));
        assertEquals(0, count("nyla.sync.reconcile.drift", "kind", "model-mismatch"));
        assertEquals(1, count("nyla.sync.reconcile.checks", "result", "drift"), "the sync's first check");
        assertEquals(1, count("nyla.sync.reconcile.checks", "result", "in-sync"), "its verifying check");
        assertEquals(2, count("nyla.sync.reconcile.repairs", "action", "inserted"));
        assertEquals(1, count("nyla.sync.reconcile.repairs", "action", "updated"));
        assertEquals(1, count("nyla.sync.reconcile.repairs", "action", "deleted"));
        assertEquals(3, registry.get("nyla.sync.reconcile.embedded").functionCounter().count());
        assertEquals(1, syncs(SyncReport.Outcome.SYNCED));
        assertEquals(0, syncs(SyncReport.Outcome.FAILED));
    }

    @Test
    void aTenantWhoseCheckFailsIsCountedAndTheOthersStillCount() throws IOException {
        source.put("acme", "a", "one").put("acme", "b", "two").put("globex", "c", "three").failOn("globex");

        ReconcileSummary summary = reconciler().listener(metrics).build().checkAll();

        assertEquals(1, summary.failed());
        assertEquals(1, registry.get("nyla.sync.reconcile.failures").functionCounter().count());
        assertEquals(2, count("nyla.sync.reconcile.drift", "kind", "missing"), "acme's two records");
        assertEquals(1, count("nyla.sync.reconcile.checks", "result", "drift"));
        assertEquals(0, syncs(SyncReport.Outcome.SYNCED), "a check repairs nothing");
    }

    @Test
    void tenantsSyncedOnSeveralThreadsAtOnceAreEachCounted() throws IOException {
        for (int t = 0; t < 20; t++) {
            for (int i = 0; i < 3; i++) {
                source.put("tenant-" + t, "r-" + i, "text " + t + "/" + i);
            }
        }

        ReconcileSummary summary = reconciler().concurrency(4).listener(metrics).build().syncAll(false);

        assertEquals(20, summary.synced());
        assertEquals(20, syncs(SyncReport.Outcome.SYNCED));
        assertEquals(60, count("nyla.sync.reconcile.drift", "kind", "missing"));
        assertEquals(60, count("nyla.sync.reconcile.repairs", "action", "inserted"));
        assertEquals(20, count("nyla.sync.reconcile.checks", "result", "drift"));
        assertEquals(20, count("nyla.sync.reconcile.checks", "result", "in-sync"));
    }

    @Test
    void aSyncAlreadyInSyncIsCountedWithNothingRepaired() throws IOException {
        source.put("acme", "a", "one");
        reconciler().build().sync("acme", false);

        reconciler().listener(metrics).build().sync("acme", false);

        assertEquals(1, syncs(SyncReport.Outcome.IN_SYNC));
        assertEquals(1, count("nyla.sync.reconcile.checks", "result", "in-sync"));
        assertEquals(0, count("nyla.sync.reconcile.repairs", "action", "inserted"));
        assertEquals(0, registry.get("nyla.sync.reconcile.embedded").functionCounter().count());
    }
}
