package dev.nyla.sync.micrometer;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.SourceRecord;
import dev.nyla.sync.artifact.BadSignatureException;
import dev.nyla.sync.artifact.DirectoryArtifactSource;
import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.client.InstallRoute;
import dev.nyla.sync.client.NylaSync;
import dev.nyla.sync.client.SyncListener;
import dev.nyla.sync.client.SyncResult;
import dev.nyla.sync.client.SyncResult.Outcome;
import dev.nyla.sync.corpus.Corpus;
import dev.nyla.sync.demo.HashingEmbedder;
import dev.nyla.sync.publish.Publisher;
import dev.nyla.sync.store.Compression;
import dev.nyla.sync.store.PayloadFile;
import dev.nyla.sync.store.VectorStore;
import dev.nyla.sync.store.VectorStores;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MockClock;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link NylaSyncMetrics} read from a {@link SimpleMeterRegistry} after real syncs: versions published by the
 * {@link Publisher} into a directory and installed by a {@link NylaSync} into a {@code memory:} store.
 */
class NylaSyncMetricsTest {
    private static final KeyPair KEYS = SigningKeys.generate();
    private static final HashingEmbedder EMBEDDER = new HashingEmbedder(32);

    @TempDir
    Path dir;
    private Path host;
    private int published;
    private final MockClock clock = new MockClock();
    private final MeterRegistry registry = new SimpleMeterRegistry(SimpleConfig.DEFAULT, clock);
    private final List<AutoCloseable> open = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        host = Files.createDirectories(dir.resolve("host"));
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    /** Publishes the next version into the host directory: 300 records, of which those in {@code edition} changed. */
    private Manifest publish(int edition) throws IOException {
        List<SourceRecord> records = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            String text = "Record " + i + " about topic " + (i % 17) + (i % 20 == 0 ? ", edition " + edition : "") + ".";
            records.add(new SourceRecord("default", String.format("doc-%04d", i), text, Map.of()));
        }
        Publisher p = Publisher.builder().signingKey(KEYS).embedder(EMBEDDER).build();
        Corpus corpus = Corpus.of(records);
        Manifest m = (published++ == 0 ? p.publish(corpus, host) : p.publish(corpus, host, host)).manifest();
        return m;
    }

    /** A client of the host directory into a new {@code memory:} store, with {@code listener} and {@code key}. */
    private NylaSync client(SyncListener listener, PublicKey key) throws IOException {
        VectorStore store = VectorStores.open("memory:");
        open.add(store);
        NylaSync sync = NylaSync.builder().source(new DirectoryArtifactSource(host)).store(store).publicKey(key)
                .queryEmbedder(EMBEDDER).listener(listener).build();
        open.add(sync);
        return sync;
    }

    private NylaSync client(NylaSyncMetrics metrics) throws IOException {
        return client(metrics, KEYS.getPublic());
    }

    private NylaSyncMetrics bound(String store) {
        NylaSyncMetrics metrics = new NylaSyncMetrics(store, Tags.empty(), clock);
        metrics.bindTo(registry);
        return metrics;
    }

    private double count(String name, String store, String... tags) {
        return registry.get(name).tags(Tags.of(tags).and("store", store)).functionCounter().count();
    }

    private double checks(String store, Outcome outcome) {
        return count("nyla.sync.checks", store, "outcome", MeterFamily.tagValue(outcome));
    }

    private double downloaded(String store, InstallRoute route) {
        return count("nyla.sync.downloaded", store, "route", MeterFamily.tagValue(route));
    }

    private double installs(String store, InstallRoute route) {
        return registry.get("nyla.sync.installs").tags("store", store, "route", MeterFamily.tagValue(route))
                .functionTimer().count();
    }

    private double swaps(String store) {
        return registry.get("nyla.sync.swaps").tags("store", store).functionTimer().count();
    }

    private double version(String store) {
        return registry.get("nyla.sync.installed.version").tags("store", store).gauge().value();
    }

    private double checkAgeSeconds(String store) {
        return registry.get("nyla.sync.check.success.age").tags("store", store).timeGauge().value(TimeUnit.SECONDS);
    }

    /** Bytes counted under each route, only routes with bytes. */
    private Map<InstallRoute, Double> bytesByRoute(String store) {
        Map<InstallRoute, Double> out = new java.util.EnumMap<>(InstallRoute.class);
        for (InstallRoute r : InstallRoute.values()) {
            if (downloaded(store, r) > 0) {
                out.put(r, downloaded(store, r));
            }
        }
        return out;
    }

    private void corrupt(PayloadFile f) throws IOException {
        Path p = host.resolve(f.name());
        byte[] b = Files.readAllBytes(p);
        b[b.length / 2] ^= 0x10;
        Files.write(p, b);
    }

    @Test
    void installsCountChecksBytesByRouteSwapsAndTheVersion() throws IOException {
        NylaSyncMetrics metrics = bound("kb");
        NylaSync sync = client(metrics);
        assertTrue(Double.isNaN(version("kb")), "no version is known before the first check");
        publish(1);

        SyncResult first = sync.checkNow();
        assertEquals(Outcome.INSTALLED, first.outcome(), first.steps().toString());
        assertEquals(InstallRoute.FULL_COMPRESSED, first.route().orElseThrow());
        assertTrue(first.bytesDownloaded() > 0);
        assertEquals(Map.of(InstallRoute.FULL_COMPRESSED, (double) first.bytesDownloaded()), bytesByRoute("kb"));
        assertEquals(1, checks("kb", Outcome.INSTALLED));
        assertEquals(1, installs("kb", InstallRoute.FULL_COMPRESSED));
        assertEquals(1, swaps("kb"));
        assertEquals(1, version("kb"));

        assertEquals(Outcome.UP_TO_DATE, sync.checkNow().outcome());
        assertEquals(1, checks("kb", Outcome.UP_TO_DATE));
        assertEquals(1, swaps("kb"), "no swap without an install");

        publish(2);
        SyncResult second = sync.checkNow();
        assertEquals(InstallRoute.DELTA, second.route().orElseThrow(), second.steps().toString());
        assertEquals(Map.of(InstallRoute.FULL_COMPRESSED, (double) first.bytesDownloaded(),
                InstallRoute.DELTA, (double) second.bytesDownloaded()), bytesByRoute("kb"));
        assertEquals(2, checks("kb", Outcome.INSTALLED));
        assertEquals(1, installs("kb", InstallRoute.DELTA));
        assertEquals(2, swaps("kb"));
        assertEquals(2, version("kb"));
        assertEquals(0, checks("kb", Outcome.FAILED));
        assertEquals(0, count("nyla.sync.rollbacks", "kb"));
    }

    @Test
    void aCorruptPayloadFileCountsAFallbackAndTheBytesOfEachRouteTried() throws IOException {
        NylaSyncMetrics metrics = bound("kb");
        Manifest m = publish(1);
        PayloadFile gzip = m.payload().files().stream().filter(f -> f.compression() == Compression.GZIP).findFirst()
                .orElseThrow();
        PayloadFile plain = m.payload().files().stream().filter(f -> f.compression() == Compression.NONE).findFirst()
                .orElseThrow();
        corrupt(gzip);

        SyncResult r = client(metrics).checkNow();

        assertEquals(InstallRoute.FULL_UNCOMPRESSED, r.route().orElseThrow(), r.steps().toString());
        assertEquals(1, count("nyla.sync.fallbacks", "kb", "route", "full-compressed"));
        // The damaged file was fetched whole before its hash failed: its bytes count under the route that fetched it.
        assertEquals(Map.of(InstallRoute.FULL_COMPRESSED, (double) gzip.size(),
                InstallRoute.FULL_UNCOMPRESSED, (double) plain.size()), bytesByRoute("kb"));
        assertEquals(r.bytesDownloaded(), gzip.size() + plain.size());
        assertEquals(1, installs("kb", InstallRoute.FULL_UNCOMPRESSED));
        assertEquals(0, installs("kb", InstallRoute.FULL_COMPRESSED), "the failed route installed nothing");
        assertEquals(1, checks("kb", Outcome.INSTALLED));
    }

    @Test
    void aManifestWithABadSignatureCountsAFailedRunInTheCheckingStage() throws IOException {
        NylaSyncMetrics metrics = bound("kb");
        publish(1);
        NylaSync sync = client(metrics, SigningKeys.generate().getPublic());

        SyncResult r = sync.checkNow();

        assertInstanceOf(BadSignatureException.class, r.failure().orElseThrow());
        assertEquals(1, checks("kb", Outcome.FAILED));
        assertEquals(1, count("nyla.sync.failures", "kb", "stage", "checking"));
        assertEquals(0, checks("kb", Outcome.INSTALLED));
        assertEquals(0, swaps("kb"));
        assertEquals(Map.of(), bytesByRoute("kb"));
        assertEquals(0, version("kb"), "nothing installed: the trusted version 0");
        assertTrue(Double.isNaN(checkAgeSeconds("kb")), "a refused manifest is no successful check");
    }

    @Test
    void theCheckAgeIsTheTimeSinceTheLastVerifiedManifest() throws IOException {
        NylaSyncMetrics metrics = bound("kb");
        NylaSync sync = client(metrics);
        publish(1);
        assertTrue(Double.isNaN(checkAgeSeconds("kb")), "no check yet");

        sync.checkNow();
        assertEquals(0, checkAgeSeconds("kb"));
        clock.add(Duration.ofSeconds(90));
        assertEquals(90, checkAgeSeconds("kb"));

        sync.checkNow();
        assertEquals(0, checkAgeSeconds("kb"), "an up-to-date answer is a successful check too");
        clock.add(Duration.ofSeconds(30));
        Files.delete(host.resolve(Manifest.FILE_NAME));
        assertEquals(Outcome.FAILED, sync.checkNow().outcome());
        assertEquals(30, checkAgeSeconds("kb"), "a failed check leaves the age growing");
    }

    @Test
    void aRollbackIsCountedAndTheVersionFollowsTheServedGeneration() throws IOException {
        NylaSyncMetrics metrics = bound("kb");
        NylaSync sync = client(metrics);
        publish(1);
        sync.checkNow();
        publish(2);
        sync.checkNow();
        assertEquals(2, version("kb"));

        sync.rollback();

        assertEquals(1, count("nyla.sync.rollbacks", "kb"));
        assertEquals(1, version("kb"));
        assertEquals(Outcome.UP_TO_DATE, sync.checkNow().outcome(), "version 2 stays trusted, not reinstalled");
        assertEquals(1, version("kb"), "the served version, not the trusted one");
    }

    @Test
    void twoClientsInOneRegistryAreToldApartAndEventsBeforeBindingCount() throws IOException {
        NylaSyncMetrics a = new NylaSyncMetrics("a", Tags.of("app", "test"), clock);
        NylaSyncMetrics b = new NylaSyncMetrics("b", Tags.of("app", "test"), clock);
        publish(1);
        NylaSync syncA = client(a);
        client(b);
        assertEquals(Outcome.INSTALLED, syncA.checkNow().outcome());

        a.bindTo(registry);
        b.bindTo(registry);
        MeterRegistry second = new SimpleMeterRegistry();
        a.bindTo(second);

        assertEquals(1, checks("a", Outcome.INSTALLED), "heard before bindTo");
        assertEquals(0, checks("b", Outcome.INSTALLED));
        assertEquals(1, version("a"));
        assertTrue(Double.isNaN(version("b")));
        assertEquals(1, registry.get("nyla.sync.checks").tags("app", "test", "store", "a", "outcome", "installed")
                .functionCounter().count(), "the given tags are on every meter");
        assertEquals(1, second.get("nyla.sync.checks").tags("store", "a", "outcome", "installed").functionCounter()
                .count(), "every registry bound reads the same counts");
    }

    @Test
    void aStageFirstSeenAfterBindingGetsItsMeterInEveryBoundRegistry() throws IOException {
        NylaSyncMetrics metrics = bound("kb");
        MeterRegistry second = new SimpleMeterRegistry();
        metrics.bindTo(second);
        assertNull(registry.find("nyla.sync.failures").meter(), "no failure stage seen yet");
        publish(1);

        client(metrics, SigningKeys.generate().getPublic()).checkNow();

        assertEquals(1, count("nyla.sync.failures", "kb", "stage", "checking"));
        assertEquals(1, second.get("nyla.sync.failures").tags("store", "kb", "stage", "checking").functionCounter()
                .count());
    }

    @Test
    void aRegistryReadWhileSyncsRunSeesEveryCountAtTheEnd() throws Exception {
        NylaSyncMetrics metrics = bound("kb");
        NylaSync sync = client(metrics);
        AtomicBoolean syncing = new AtomicBoolean(true);
        // Reads every meter, as a scrape does, for as long as the syncs run on this thread.
        CompletableFuture<Integer> scrapes = CompletableFuture.supplyAsync(() -> {
            int n = 0;
            do {
                registry.getMeters().forEach(meter -> meter.measure().forEach(m -> m.getValue()));
                n++;
            } while (syncing.get());
            return n;
        });
        long bytes = 0;
        for (int v = 1; v <= 3; v++) {
            publish(v);
            SyncResult r = sync.checkNow();
            assertEquals(Outcome.INSTALLED, r.outcome(), r.steps().toString());
            bytes += r.bytesDownloaded();
            assertEquals(Outcome.UP_TO_DATE, sync.checkNow().outcome());
        }
        syncing.set(false);

        assertTrue(scrapes.get(1, TimeUnit.MINUTES) > 0);
        assertEquals(3, checks("kb", Outcome.INSTALLED));
        assertEquals(3, checks("kb", Outcome.UP_TO_DATE));
        assertEquals(bytes, bytesByRoute("kb").values().stream().mapToDouble(Double::doubleValue).sum());
        assertEquals(3, swaps("kb"));
        assertEquals(3, version("kb"));
    }

    @Test
    void aBlankStoreNameIsRefusedWithWhatToGive() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new NylaSyncMetrics(" "));
        assertTrue(e.getMessage().startsWith("store: expected a name"), e.getMessage());
        assertTrue(e.getMessage().endsWith("but was ' '"), e.getMessage());
    }
}
