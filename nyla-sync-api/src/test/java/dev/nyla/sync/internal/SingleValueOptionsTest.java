package dev.nyla.sync.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nyla.sync.VectorEncoding;
import dev.nyla.sync.artifact.DirectoryArtifactSource;
import dev.nyla.sync.artifact.HttpArtifactSource;
import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.client.NylaSync;
import dev.nyla.sync.client.SyncListener;
import dev.nyla.sync.corpus.Corpus;
import dev.nyla.sync.demo.HashingEmbedder;
import dev.nyla.sync.publish.KeyRotation;
import dev.nyla.sync.publish.PublishListener;
import dev.nyla.sync.publish.Publisher;
import dev.nyla.sync.reconcile.CorpusSource;
import dev.nyla.sync.reconcile.HealListener;
import dev.nyla.sync.reconcile.HealingSearch;
import dev.nyla.sync.reconcile.ReconcileListener;
import dev.nyla.sync.reconcile.Reconciler;
import dev.nyla.sync.store.internal.MemoryVectorStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every builder of the api module refuses a second value for a single-value option, naming the builder, the
 * option and the value it keeps; the options documented to take several values take them.
 */
class SingleValueOptionsTest {
    private static final KeyPair K1 = SigningKeys.generate();
    private static final KeyPair K2 = SigningKeys.generate();
    private static final HashingEmbedder EMBEDDER = new HashingEmbedder(8);
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2025-01-01T00:00:00Z"), ZoneOffset.UTC);
    private static final ScheduledExecutorService EXECUTOR = Executors.newSingleThreadScheduledExecutor();
    private static final Path DIR = Path.of("site");

    @AfterAll
    static void stopExecutor() {
        EXECUTOR.shutdownNow();
    }

    static Stream<Arguments> secondValues() throws Exception {
        MemoryVectorStore store = new MemoryVectorStore();
        CorpusSource source = CorpusSource.of("empty", Corpus.of(List.of()));
        Reconciler reconciler = Reconciler.builder().store(store).source(source).embedder(EMBEDDER).build();
        HttpClient client = HttpClient.newHttpClient();
        URI base = URI.create("https://cdn.example.com/kb/");
        Duration s1 = Duration.ofSeconds(1);
        Duration s2 = Duration.ofSeconds(2);
        return Stream.of(
                // NylaSync.Builder
                refused("NylaSync.Builder", "source", "an instance of " + DirectoryArtifactSource.class.getName(),
                        () -> NylaSync.builder().source(new DirectoryArtifactSource(DIR))
                                .source(new DirectoryArtifactSource(DIR))),
                refused("NylaSync.Builder", "store", "an instance of " + MemoryVectorStore.class.getName(),
                        () -> NylaSync.builder().store(store).store(new MemoryVectorStore())),
                refused("NylaSync.Builder", "keyThreshold", "1",
                        () -> NylaSync.builder().keyThreshold(1).keyThreshold(2)),
                refused("NylaSync.Builder", "pinnedKeysVersion", "3",
                        () -> NylaSync.builder().pinnedKeysVersion(3).pinnedKeysVersion(4)),
                refused("NylaSync.Builder", "queryEmbedder or expectedModel", "model " + EMBEDDER.model().id(),
                        () -> NylaSync.builder().queryEmbedder(EMBEDDER).expectedModel(EMBEDDER.model())),
                refused("NylaSync.Builder", "acceptAnyModel", "true",
                        () -> NylaSync.builder().acceptAnyModel().acceptAnyModel()),
                refused("NylaSync.Builder", "manualApproval", "an instance of",
                        () -> NylaSync.builder().manualApproval(o -> true).manualApproval(o -> false)),
                refused("NylaSync.Builder", "updateCondition", "an instance of",
                        () -> NylaSync.builder().updateCondition(o -> true).updateCondition(o -> false)),
                refused("NylaSync.Builder", "meteredConnection", "an instance of",
                        () -> NylaSync.builder().meteredConnection(() -> true).meteredConnection(() -> false)),
                refused("NylaSync.Builder", "allowDowngrade", "false",
                        () -> NylaSync.builder().allowDowngrade(false).allowDowngrade(true)),
                refused("NylaSync.Builder", "clientId", "'a'", () -> NylaSync.builder().clientId("a").clientId("b")),
                refused("NylaSync.Builder", "stateDirectory", "site",
                        () -> NylaSync.builder().stateDirectory(DIR).stateDirectory(DIR.resolve("x"))),
                refused("NylaSync.Builder", "listener", "an instance of",
                        () -> NylaSync.builder().listener(SyncListener.NONE).listener(new SyncListener() {
                        })),
                refused("NylaSync.Builder", "clock", "an instance of",
                        () -> NylaSync.builder().clock(CLOCK).clock(Clock.systemUTC())),
                refused("NylaSync.Builder", "maxManifestBytes", "2048",
                        () -> NylaSync.builder().maxManifestBytes(2048).maxManifestBytes(4096)),
                refused("NylaSync.Builder", "keepGenerations", "2",
                        () -> NylaSync.builder().keepGenerations(2).keepGenerations(3)),
                refused("NylaSync.Builder", "localRebuild", "a corpus and an embedder of " + EMBEDDER.model().id(),
                        () -> NylaSync.builder().localRebuild(Corpus.of(List.of()), EMBEDDER)
                                .localRebuild(Corpus.of(List.of()), EMBEDDER)),
                refused("NylaSync.Builder", "baseline", "an instance of",
                        () -> NylaSync.builder().baseline(new DirectoryArtifactSource(DIR))
                                .baseline(new DirectoryArtifactSource(DIR))),
                refused("NylaSync.Builder", "checkInterval", "PT1S",
                        () -> NylaSync.builder().checkInterval(s1).checkInterval(s2)),
                refused("NylaSync.Builder", "jitter", "0.2", () -> NylaSync.builder().jitter(0.2).jitter(0.3)),
                refused("NylaSync.Builder", "failureBackoff", "PT1S",
                        () -> NylaSync.builder().failureBackoff(s1).failureBackoff(s2)),
                refused("NylaSync.Builder", "scheduler", "an instance of",
                        () -> NylaSync.builder().scheduler(EXECUTOR).scheduler(EXECUTOR)),
                // HttpArtifactSource.Builder
                refused("HttpArtifactSource.Builder", "httpClient", "an instance of",
                        () -> HttpArtifactSource.builder(base).httpClient(client).httpClient(client)),
                refused("HttpArtifactSource.Builder", "connectTimeout", "PT1S",
                        () -> HttpArtifactSource.builder(base).connectTimeout(s1).connectTimeout(s2)),
                refused("HttpArtifactSource.Builder", "requestTimeout", "PT1S",
                        () -> HttpArtifactSource.builder(base).requestTimeout(s1).requestTimeout(s2)),
                refused("HttpArtifactSource.Builder", "stallTimeout", "PT1S",
                        () -> HttpArtifactSource.builder(base).stallTimeout(s1).stallTimeout(s2)),
                refused("HttpArtifactSource.Builder", "maxAttempts", "3",
                        () -> HttpArtifactSource.builder(base).maxAttempts(3).maxAttempts(4)),
                refused("HttpArtifactSource.Builder", "initialBackoff", "PT1S",
                        () -> HttpArtifactSource.builder(base).initialBackoff(s1).initialBackoff(s2)),
                refused("HttpArtifactSource.Builder", "maxBackoff", "PT1S",
                        () -> HttpArtifactSource.builder(base).maxBackoff(s1).maxBackoff(s2)),
                refused("HttpArtifactSource.Builder", "maxResponseBytes", "1000",
                        () -> HttpArtifactSource.builder(base).maxResponseBytes(1000).maxResponseBytes(2000)),
                // Reconciler.Builder
                refused("Reconciler.Builder", "store", "an instance of",
                        () -> Reconciler.builder().store(store).store(store)),
                refused("Reconciler.Builder", "source", "an instance of " + CorpusSource.class.getName(),
                        () -> Reconciler.builder().source(source).source(source)),
                refused("Reconciler.Builder", "embedder", "an instance of " + HashingEmbedder.class.getName(),
                        () -> Reconciler.builder().embedder(EMBEDDER).embedder(EMBEDDER)),
                refused("Reconciler.Builder", "embedBatchSize", "5",
                        () -> Reconciler.builder().embedBatchSize(5).embedBatchSize(6)),
                refused("Reconciler.Builder", "writeBatchSize", "5",
                        () -> Reconciler.builder().writeBatchSize(5).writeBatchSize(6)),
                refused("Reconciler.Builder", "deleteBatchSize", "5",
                        () -> Reconciler.builder().deleteBatchSize(5).deleteBatchSize(6)),
                refused("Reconciler.Builder", "concurrency", "1",
                        () -> Reconciler.builder().concurrency(1).concurrency(4)),
                refused("Reconciler.Builder", "idLimit", "0", () -> Reconciler.builder().idLimit(0).idLimit(10)),
                refused("Reconciler.Builder", "maxRounds", "1", () -> Reconciler.builder().maxRounds(1).maxRounds(2)),
                refused("Reconciler.Builder", "lockTimeout", "PT1S",
                        () -> Reconciler.builder().lockTimeout(s1).lockTimeout(s2)),
                refused("Reconciler.Builder", "tempDirectory", "site",
                        () -> Reconciler.builder().tempDirectory(DIR).tempDirectory(DIR)),
                refused("Reconciler.Builder", "spillThreshold", "100",
                        () -> Reconciler.builder().spillThreshold(100).spillThreshold(200)),
                refused("Reconciler.Builder", "listener", "an instance of",
                        () -> Reconciler.builder().listener(new ReconcileListener() {
                        }).listener(new ReconcileListener() {
                        })),
                // HealingSearch.Builder
                refused("HealingSearch.Builder", "enabled", "false",
                        () -> HealingSearch.builder(reconciler).enabled(false).enabled(true)),
                refused("HealingSearch.Builder", "debounce", "PT1S",
                        () -> HealingSearch.builder(reconciler).debounce(s1).debounce(s2)),
                refused("HealingSearch.Builder", "minInterval", "PT1S",
                        () -> HealingSearch.builder(reconciler).minInterval(s1).minInterval(s2)),
                refused("HealingSearch.Builder", "maxRepairsPerHour", "5",
                        () -> HealingSearch.builder(reconciler).maxRepairsPerHour(5).maxRepairsPerHour(6)),
                refused("HealingSearch.Builder", "listener", "an instance of",
                        () -> HealingSearch.builder(reconciler).listener(new HealListener() {
                        }).listener(new HealListener() {
                        })),
                refused("HealingSearch.Builder", "executor", "an instance of",
                        () -> HealingSearch.builder(reconciler).executor(EXECUTOR).executor(EXECUTOR)),
                // Publisher.Builder
                refused("Publisher.Builder", "signingKey", "a key pair",
                        () -> Publisher.builder().signingKey(K1).signingKey(K2)),
                refused("Publisher.Builder", "embedder", "an instance of",
                        () -> Publisher.builder().embedder(EMBEDDER).embedder(EMBEDDER)),
                refused("Publisher.Builder", "clock", "an instance of",
                        () -> Publisher.builder().clock(CLOCK).clock(CLOCK)),
                refused("Publisher.Builder", "channel", "'beta'",
                        () -> Publisher.builder().channel("beta").channel("stable")),
                refused("Publisher.Builder", "label", "'docs v1'",
                        () -> Publisher.builder().label("docs v1").label("docs v2")),
                refused("Publisher.Builder", "expiresAfter", "PT1S",
                        () -> Publisher.builder().expiresAfter(s1).expiresAfter(s2)),
                refused("Publisher.Builder", "rolloutPercent", "10",
                        () -> Publisher.builder().rolloutPercent(10).rolloutPercent(50)),
                refused("Publisher.Builder", "gzipLevel", "1", () -> Publisher.builder().gzipLevel(1).gzipLevel(9)),
                refused("Publisher.Builder", "deltaWindow", "2",
                        () -> Publisher.builder().deltaWindow(2).deltaWindow(3)),
                refused("Publisher.Builder", "batchSize", "16", () -> Publisher.builder().batchSize(16).batchSize(8)),
                refused("Publisher.Builder", "vectorEncoding", "F16",
                        () -> Publisher.builder().vectorEncoding(VectorEncoding.F16).vectorEncoding(VectorEncoding.F32)),
                refused("Publisher.Builder", "listener", "an instance of",
                        () -> Publisher.builder().listener(PublishListener.NONE).listener(PublishListener.NONE)),
                refused("Publisher.Builder", "compactNativePayloads", "true",
                        () -> Publisher.builder().compactNativePayloads(true).compactNativePayloads(false)),
                // KeyRotation.Builder
                refused("KeyRotation.Builder", "threshold", "2",
                        () -> KeyRotation.builder(DIR).threshold(2).threshold(1)),
                refused("KeyRotation.Builder", "clock", "an instance of",
                        () -> KeyRotation.builder(DIR).clock(CLOCK).clock(CLOCK)));
    }

    private static Arguments refused(String builder, String option, String firstValueShown, Executable secondCall) {
        return Arguments.of(builder + "." + option, builder, option, firstValueShown, secondCall);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("secondValues")
    void aSecondValueForASingleValueOptionIsRefusedNamingTheOptionAndTheValueKept(String name, String builder,
                                                                                     String option, String shown,
                                                                                     Executable secondCall) {
        IllegalStateException e = assertThrows(IllegalStateException.class, secondCall, name);
        String expected = builder + ": " + option + " was already set to " + shown;
        assertTrue(e.getMessage().startsWith(expected), "expected a message starting with '" + expected + "' but was: "
                + e.getMessage());
    }

    @Test
    void aListenerRefusalSaysHowToHaveSeveral() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> NylaSync.builder().listener(SyncListener.NONE).listener(SyncListener.NONE));
        assertTrue(e.getMessage().contains("pass one that forwards each event to them"), e.getMessage());
    }

    @Test
    void optionsThatAddTakeSeveralValues() throws Exception {
        // Two keys pinned, so a threshold of two is consistent: build() would name keyThreshold otherwise.
        try (NylaSync sync = NylaSync.builder().source(new DirectoryArtifactSource(DIR)).store(new MemoryVectorStore())
                .publicKey(K1.getPublic()).publicKey(K2.getPublic()).keyThreshold(2).acceptAnyModel().build()) {
            assertEquals(0, sync.status().trustedVersion());
        }
    }

    @Test
    void valuesOutOfRangeAreRefusedNamingTheOption() throws Exception {
        for (Executable bad : List.<Executable>of(
                () -> Reconciler.builder().embedBatchSize(0),
                () -> Reconciler.builder().writeBatchSize(0),
                () -> Reconciler.builder().deleteBatchSize(0),
                () -> Reconciler.builder().concurrency(0),
                () -> Reconciler.builder().maxRounds(0),
                () -> Reconciler.builder().spillThreshold(0))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, bad);
            assertTrue(e.getMessage().matches("[a-zA-Z]+: expected >= 1 but was 0"), e.getMessage());
        }
        assertEquals("idLimit: expected >= 0 but was -1",
                assertThrows(IllegalArgumentException.class, () -> Reconciler.builder().idLimit(-1)).getMessage());
        assertEquals("lockTimeout: expected >= 0 but was PT-1S", assertThrows(IllegalArgumentException.class,
                () -> Reconciler.builder().lockTimeout(Duration.ofSeconds(-1))).getMessage());
        HealingSearch.Builder healing = HealingSearch.builder(Reconciler.builder().store(new MemoryVectorStore())
                .source(CorpusSource.of("empty", Corpus.of(List.of()))).build());
        assertEquals("minInterval: expected >= 0 but was PT-1S", assertThrows(IllegalArgumentException.class,
                () -> healing.minInterval(Duration.ofSeconds(-1))).getMessage());
        assertEquals("maxRepairsPerHour: expected >= 1 but was 0", assertThrows(IllegalArgumentException.class,
                () -> healing.maxRepairsPerHour(0)).getMessage());
    }

    @Test
    void aRefusedValueLeavesTheFirstInPlace() {
        Reconciler.Builder b = Reconciler.builder().idLimit(3);
        assertThrows(IllegalStateException.class, () -> b.idLimit(4));
        // The builder still holds 3: a third attempt is refused naming it, not the refused 4.
        IllegalStateException again = assertThrows(IllegalStateException.class, () -> b.idLimit(5));
        assertTrue(again.getMessage().startsWith("Reconciler.Builder: idLimit was already set to 3;"), again.getMessage());
    }

    @Test
    void aNullValueNamesTheOption() {
        NullPointerException e = assertThrows(NullPointerException.class, () -> NylaSync.builder().stateDirectory(null));
        assertEquals("stateDirectory", e.getMessage());
        assertFalse(assertThrows(NullPointerException.class, () -> Publisher.builder().label(null)).getMessage().isEmpty());
    }
}
