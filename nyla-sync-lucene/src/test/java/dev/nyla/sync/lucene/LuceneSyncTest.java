package dev.nyla.sync.lucene;

import static org.junit.jupiter.api.Assertions.*;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.SimpleFileServer;
import dev.nyla.sync.ContentHash;
import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.IntegrityException;
import dev.nyla.sync.Similarity;
import dev.nyla.sync.TestData;
import dev.nyla.sync.VectorEncoding;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.artifact.HttpArtifactSource;
import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.client.InstallRoute;
import dev.nyla.sync.client.NylaSync;
import dev.nyla.sync.client.SyncListener;
import dev.nyla.sync.client.SyncResult;
import dev.nyla.sync.publish.NativePayloadBuilder;
import dev.nyla.sync.publish.NativePayloadFormat;
import dev.nyla.sync.publish.PublishResult;
import dev.nyla.sync.publish.Publisher;
import dev.nyla.sync.store.ForwardingVectorStore;
import dev.nyla.sync.store.InventoryEntry;
import dev.nyla.sync.store.Payload;
import dev.nyla.sync.store.PayloadFile;
import dev.nyla.sync.store.SearchHit;
import dev.nyla.sync.store.SearchRequest;
import dev.nyla.sync.store.VectorStore;
import dev.nyla.sync.store.internal.MemoryVectorStore;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sync client with a Lucene store over real HTTP on loopback: the prebuilt index installs without a
 * rebuild, the next version by file, and a damaged index file on the host, or one the publisher shipped
 * damaged, falls back to the records.
 */
class LuceneSyncTest {
    private static final int DIM = 24;
    private static final EmbeddingModel MODEL = TestData.model(DIM, Similarity.COSINE);

    @TempDir
    Path dir;
    private HttpServer server;
    private KeyPair keys;
    private Path host;
    private Publisher publisher;

    @BeforeEach
    void serve() throws IOException {
        keys = SigningKeys.generate();
        host = Files.createDirectories(dir.resolve("host"));
        server = SimpleFileServer.createFileServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), host,
                SimpleFileServer.OutputLevel.NONE);
        server.start();
        publisher = Publisher.builder().signingKey(keys)
                .nativePayload(new LucenePayloadFormat(LuceneOptions.DEFAULTS, dir.resolve("publisher-work"))).build();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private NylaSync client(VectorStore store) throws IOException {
        URI base = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
        return NylaSync.builder().source(HttpArtifactSource.builder(base).build()).store(store)
                .publicKey(keys.getPublic()).expectedModel(MODEL).build();
    }

    /** Versions are published into the same host directory, as a CI job does on a static host. */
    private PublishResult publish(List<VectorRecord> records, boolean first) throws IOException {
        return first ? publisher.publishRecords(records, MODEL, host) : publisher.publishRecords(records, MODEL, host, host);
    }

    private static List<VectorRecord> v1() {
        return ClusteredVectors.records(MODEL, ClusteredVectors.vectors(3000, DIM, 10, 0.5, 1), 2);
    }

    /** v1 with 1 % of the records re-embedded and edited. */
    private static List<VectorRecord> v2(List<VectorRecord> v1) {
        List<VectorRecord> v2 = new ArrayList<>(v1);
        List<float[]> fresh = ClusteredVectors.vectors(v1.size() / 100, DIM, 10, 0.5, 2);
        for (int i = 0; i < fresh.size(); i++) {
            VectorRecord old = v2.get(i * 100);
            v2.set(i * 100, VectorRecord.of(old.tenant(), old.id(), "edited " + i, old.metadata(), MODEL, fresh.get(i)));
        }
        return v2;
    }

    private static void assertServes(VectorStore store, List<VectorRecord> records) throws IOException {
        for (String tenant : List.of("t0", "t1")) {
            List<InventoryEntry> expected = records.stream().filter(r -> r.tenant().equals(tenant))
                    .map(r -> new InventoryEntry(r.id(), r.contentHash(), MODEL.fingerprint())).toList();
            try (Stream<InventoryEntry> s = store.inventory(tenant)) {
                assertEquals(expected, s.toList(), "inventory of " + tenant);
            }
        }
        VectorRecord probe = records.get(0);
        SearchHit top = store.search(SearchRequest.of(probe.tenant(), probe.vector(), 1)).get(0);
        assertEquals(probe.id(), top.id());
        assertEquals(probe.text(), top.text());
    }

    @Test
    void aLuceneClientInstallsThePrebuiltIndexThenTheNextVersionByFile() throws IOException {
        List<VectorRecord> v1 = v1();
        PublishResult r1 = publish(v1, true);
        Payload lucene1 = r1.manifest().nativePayload(LucenePayloadFormat.KIND).orElseThrow();
        long luceneBytes = lucene1.files().stream().mapToLong(PayloadFile::size).sum();
        try (LuceneVectorStore store = LuceneVectorStore.open(dir.resolve("client"));
             NylaSync sync = client(store)) {
            SyncResult first = sync.checkNow();
            assertEquals(SyncResult.Outcome.INSTALLED, first.outcome(), first.steps().toString());
            assertEquals(InstallRoute.NATIVE_FULL, first.route().orElseThrow());
            assertEquals(luceneBytes, first.bytesDownloaded());
            assertServes(store, v1);

            List<VectorRecord> v2 = v2(v1);
            PublishResult r2 = publish(v2, false);
            long newBytes = r2.nativeBytes(LucenePayloadFormat.KIND).orElseThrow().newBytes();
            SyncResult second = sync.checkNow();
            assertEquals(InstallRoute.NATIVE_DELTA, second.route().orElseThrow(), second.steps().toString());
            assertEquals(newBytes, second.bytesDownloaded(), "the client downloads exactly the new files");
            assertTrue(second.bytesDownloaded() < second.fullPayloadBytes() / 10,
                    second.bytesDownloaded() + " of " + second.fullPayloadBytes());
            assertServes(store, v2);
            assertEquals(2, store.activeGeneration().orElseThrow().version());

            assertEquals(1, sync.rollback().version());
            assertServes(store, v1);
        }
    }

    @Test
    void aDamagedIndexFileOnTheHostFallsBackToTheRecordsAndTheOldVersionServesUntilThen() throws IOException {
        List<VectorRecord> v1 = v1();
        List<PayloadFile> v1Files = publish(v1, true).manifest().nativePayload(LucenePayloadFormat.KIND).orElseThrow()
                .files();
        try (LuceneVectorStore store = LuceneVectorStore.open(dir.resolve("client"));
             NylaSync sync = client(store)) {
            assertEquals(InstallRoute.NATIVE_FULL, sync.checkNow().route().orElseThrow());
            List<VectorRecord> v2 = v2(v1);
            PublishResult r2 = publish(v2, false);
            // The host (or a CDN in front of it) damages the largest index file new in version 2.
            Payload lucene2 = r2.manifest().nativePayload(LucenePayloadFormat.KIND).orElseThrow();
            PayloadFile victim = lucene2.files().stream().filter(f -> !v1Files.contains(f))
                    .max((a, b) -> Long.compare(a.size(), b.size())).orElseThrow();
            byte[] bytes = Files.readAllBytes(host.resolve(victim.name()));
            bytes[bytes.length / 3] ^= 0x01;
            Files.write(host.resolve(victim.name()), bytes);

            SyncResult r = sync.checkNow();
            assertEquals(SyncResult.Outcome.INSTALLED, r.outcome(), r.steps().toString());
            assertFalse(r.route().orElseThrow().name().startsWith("NATIVE"), "installed by " + r.route());
            assertTrue(r.steps().stream().anyMatch(s -> s.contains(victim.name())), r.steps().toString());
            assertServes(store, v2);
        }
    }

    /**
     * The publisher's Lucene format, except that it ships the largest index file new in a version with one
     * byte flipped: the manifest's size and SHA-256 describe the damaged bytes, so only Lucene's own
     * checksum (the CRC32 in the file's footer) can tell.
     */
    private static final class DamagingFormat implements NativePayloadFormat {
        private final LucenePayloadFormat lucene;
        /** Picks the file to damage among the files new in a version. */
        private final java.util.function.Function<List<PayloadFile>, PayloadFile> pick;
        /** Damages a file's bytes in place. */
        private final java.util.function.Consumer<byte[]> damage;
        /** Index file name of each file damaged so far to its bytes as shipped. */
        final Map<String, byte[]> damaged = new HashMap<>();

        DamagingFormat(LucenePayloadFormat lucene) {
            this(lucene, files -> files.stream().max((a, b) -> Long.compare(a.size(), b.size())).orElseThrow(),
                    bytes -> bytes[bytes.length / 2] ^= 0x10);
        }

        DamagingFormat(LucenePayloadFormat lucene, java.util.function.Function<List<PayloadFile>, PayloadFile> pick,
                       java.util.function.Consumer<byte[]> damage) {
            this.lucene = lucene;
            this.pick = pick;
            this.damage = damage;
        }

        @Override
        public String kind() {
            return lucene.kind();
        }

        @Override
        public NativePayloadBuilder begin(EmbeddingModel model, Optional<Base> base) throws IOException {
            NativePayloadBuilder built = lucene.begin(model, base);
            List<PayloadFile> kept = base.map(b -> b.payload().files()).orElse(List.of());
            return new NativePayloadBuilder() {
                @Override
                public void add(VectorRecord record) throws IOException {
                    built.add(record);
                }

                @Override
                public void delete(String tenant, String id) throws IOException {
                    built.delete(tenant, id);
                }

                @Override
                public Payload finish(Path out) throws IOException {
                    Payload good = built.finish(out);
                    PayloadFile victim = pick.apply(good.files().stream().filter(f -> !kept.contains(f)).toList());
                    byte[] bytes = Files.readAllBytes(out.resolve(victim.name()));
                    damage.accept(bytes);
                    String sha = ContentHash.sha256Hex(bytes);
                    String indexName = victim.name().substring((PayloadNames.PREFIX + victim.sha256() + "-").length());
                    PayloadFile shipped = new PayloadFile(PayloadNames.hostName(sha, indexName), bytes.length, sha,
                            victim.compression(), bytes.length);
                    Files.write(out.resolve(shipped.name()), bytes);
                    Files.delete(out.resolve(victim.name()));
                    damaged.put(indexName, bytes);
                    List<PayloadFile> files = new ArrayList<>(good.files());
                    files.set(files.indexOf(victim), shipped);
                    return new Payload(good.kind(), good.attributes(), files);
                }

                @Override
                public void close() throws IOException {
                    built.close();
                }
            };
        }
    }

    /** The client's and the listener's record of why the native routes failed. */
    private record Refusal(SyncResult result, Map<InstallRoute, IOException> causes) {
    }

    private Refusal syncRecordingFallbacks(VectorStore store) throws IOException {
        Map<InstallRoute, IOException> causes = new HashMap<>();
        URI base = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
        try (NylaSync sync = NylaSync.builder().source(HttpArtifactSource.builder(base).build()).store(store)
                .publicKey(keys.getPublic()).expectedModel(MODEL).listener(new SyncListener() {
                    @Override
                    public void fallback(InstallRoute failed, InstallRoute next, IOException cause) {
                        causes.put(failed, cause);
                    }
                }).build()) {
            return new Refusal(sync.checkNow(), causes);
        }
    }

    /** Refused by Lucene's checksum, naming the file, the CRC32 in its footer and the one of its bytes. */
    private static void assertRefusedByCrc(IOException cause, String indexName, byte[] shipped) {
        IntegrityException e = assertInstanceOf(IntegrityException.class, cause);
        assertTrue(e.subject().endsWith(indexName), e.getMessage());
        assertTrue(e.getMessage().contains("CRC32"), e.getMessage());
        long footer = ByteBuffer.wrap(shipped, shipped.length - Long.BYTES, Long.BYTES).getLong();
        CRC32 crc = new CRC32();
        crc.update(shipped, 0, shipped.length - Long.BYTES);
        assertNotEquals(footer, crc.getValue(), "the test damaged the file");
        assertEquals(String.format("%08x", footer), e.expected(), e.getMessage());
        assertEquals(String.format("%08x", crc.getValue()), e.actual(), e.getMessage());
    }

    @Test
    void anIndexFileThePublisherShippedDamagedIsRefusedByItsChecksumBeforeTheSwap() throws IOException {
        DamagingFormat damaging = new DamagingFormat(new LucenePayloadFormat(LuceneOptions.DEFAULTS,
                dir.resolve("damaging-work")));
        List<VectorRecord> v1 = v1();
        Publisher.builder().signingKey(keys).nativePayload(damaging).build().publishRecords(v1, MODEL, host);
        Map.Entry<String, byte[]> shipped = damaging.damaged.entrySet().iterator().next();
        try (LuceneVectorStore store = LuceneVectorStore.open(dir.resolve("client"))) {
            Refusal r = syncRecordingFallbacks(store);

            assertEquals(SyncResult.Outcome.INSTALLED, r.result().outcome(), r.result().steps().toString());
            assertEquals(InstallRoute.FULL_COMPRESSED, r.result().route().orElseThrow(), r.result().steps().toString());
            assertEquals(List.of(InstallRoute.NATIVE_FULL), List.copyOf(r.causes().keySet()));
            assertRefusedByCrc(r.causes().get(InstallRoute.NATIVE_FULL), shipped.getKey(), shipped.getValue());
            assertServes(store, v1);
        }
    }

    @Test
    void anIndexLuceneWillNotOpenFallsBackToTheRecordsThoughEveryChecksumMatches() throws IOException {
        // The vectors metadata file's header names another segment; its footer matches its bytes.
        DamagingFormat foreign = new DamagingFormat(new LucenePayloadFormat(LuceneOptions.DEFAULTS,
                dir.resolve("damaging-work")),
                files -> files.stream().filter(f -> f.name().endsWith(".vem")).findFirst().orElseThrow(),
                bytes -> {
                    bytes[4 + 1 + bytes[4] + 4] ^= 0x01; // magic, codec name, version: then the segment id
                    CRC32 crc = new CRC32();
                    crc.update(bytes, 0, bytes.length - Long.BYTES);
                    ByteBuffer.wrap(bytes, bytes.length - Long.BYTES, Long.BYTES).putLong(crc.getValue());
                });
        List<VectorRecord> v1 = v1();
        Publisher.builder().signingKey(keys).nativePayload(foreign).build().publishRecords(v1, MODEL, host);
        String indexName = foreign.damaged.keySet().iterator().next();
        try (LuceneVectorStore store = LuceneVectorStore.open(dir.resolve("client"))) {
            Refusal r = syncRecordingFallbacks(store);

            assertEquals(SyncResult.Outcome.INSTALLED, r.result().outcome(), r.result().steps().toString());
            assertEquals(InstallRoute.FULL_COMPRESSED, r.result().route().orElseThrow(), r.result().steps().toString());
            IntegrityException e = assertInstanceOf(IntegrityException.class, r.causes().get(InstallRoute.NATIVE_FULL));
            assertTrue(e.getMessage().contains("Lucene index") && e.getMessage().contains(indexName), e.getMessage());
            assertServes(store, v1);
            assertEquals(1, store.generations().size(), "the refused generation was deleted");
        }
    }

    @Test
    void anIndexFileThePublisherShippedDamagedInADeltaIsRefusedBesideTheReusedFiles() throws IOException {
        List<VectorRecord> v1 = v1();
        publish(v1, true);
        try (LuceneVectorStore store = LuceneVectorStore.open(dir.resolve("client"))) {
            assertEquals(InstallRoute.NATIVE_FULL, syncRecordingFallbacks(store).result().route().orElseThrow());
            DamagingFormat damaging = new DamagingFormat(new LucenePayloadFormat(LuceneOptions.DEFAULTS,
                    dir.resolve("damaging-work")));
            List<VectorRecord> v2 = v2(v1);
            Publisher.builder().signingKey(keys).nativePayload(damaging).build().publishRecords(v2, MODEL, host, host);
            Map.Entry<String, byte[]> shipped = damaging.damaged.entrySet().iterator().next();

            Refusal r = syncRecordingFallbacks(store);

            assertEquals(SyncResult.Outcome.INSTALLED, r.result().outcome(), r.result().steps().toString());
            assertFalse(r.result().route().orElseThrow().name().startsWith("NATIVE"), r.result().steps().toString());
            // The delta hard-links version 1's files and downloads the damaged one; the full route downloads all.
            assertRefusedByCrc(r.causes().get(InstallRoute.NATIVE_DELTA), shipped.getKey(), shipped.getValue());
            assertRefusedByCrc(r.causes().get(InstallRoute.NATIVE_FULL), shipped.getKey(), shipped.getValue());
            assertServes(store, v2);
        }
    }

    @Test
    void aStoreWithoutALuceneInstallerInstallsTheSameVersionsFromTheRecords() throws IOException {
        List<VectorRecord> v1 = v1();
        publish(v1, true);
        try (MemoryVectorStore store = new MemoryVectorStore(); NylaSync sync = client(store)) {
            assertEquals(InstallRoute.FULL_COMPRESSED, sync.checkNow().route().orElseThrow());
            List<VectorRecord> v2 = v2(v1);
            publish(v2, false);
            assertEquals(InstallRoute.DELTA, sync.checkNow().route().orElseThrow());
            assertServes(store, v2);
        }
    }

    @Test
    void anF16VersionServesTheSameScoresFromThePrebuiltIndexAsFromTheRecords() throws IOException {
        List<VectorRecord> v1 = v1();
        Publisher.builder().signingKey(keys).vectorEncoding(VectorEncoding.F16)
                .nativePayload(new LucenePayloadFormat(LuceneOptions.DEFAULTS, dir.resolve("publisher-work")))
                .build().publishRecords(v1, MODEL, host);
        try (LuceneVectorStore prebuilt = LuceneVectorStore.open(dir.resolve("prebuilt"));
             LuceneVectorStore rebuilt = LuceneVectorStore.open(dir.resolve("rebuilt"));
             NylaSync nativeClient = client(prebuilt);
             // Without the store's native installer, the client installs the records and builds the index itself.
             NylaSync recordsClient = NylaSync.builder().source(HttpArtifactSource.builder(
                             URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/")).build())
                     .store(new ForwardingVectorStore(rebuilt) { }).stateDirectory(dir.resolve("records-state"))
                     .publicKey(keys.getPublic()).expectedModel(MODEL).build()) {
            assertEquals(InstallRoute.NATIVE_FULL, nativeClient.checkNow().route().orElseThrow());
            SyncResult r = recordsClient.checkNow();
            assertEquals(InstallRoute.FULL_COMPRESSED, r.route().orElseThrow(), r.steps().toString());
            // Scores are exact (re-scored) over the stored vectors: equal scores mean equal, rounded vectors.
            for (VectorRecord probe : List.of(v1.get(0), v1.get(1), v1.get(1000))) {
                SearchRequest q = SearchRequest.of(probe.tenant(), probe.vector(), 5);
                assertEquals(rebuilt.search(q), prebuilt.search(q), "probe " + probe.id());
            }
        }
    }

    @Test
    void aPublisherWithoutTheLuceneFormatStillServesLuceneClientsThroughTheRecords() throws IOException {
        Publisher.builder().signingKey(keys).build().publishRecords(v1(), MODEL, host);
        try (LuceneVectorStore store = LuceneVectorStore.open(dir.resolve("client"));
             NylaSync sync = client(store)) {
            SyncResult r = sync.checkNow();
            assertEquals(InstallRoute.FULL_COMPRESSED, r.route().orElseThrow(), r.steps().toString());
            assertServes(store, v1());
        }
    }
}
