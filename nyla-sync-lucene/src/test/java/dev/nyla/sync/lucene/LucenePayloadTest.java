package dev.nyla.sync.lucene;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.IntegrityException;
import dev.nyla.sync.RecordKeys;
import dev.nyla.sync.Similarity;
import dev.nyla.sync.TestData;
import dev.nyla.sync.UnsafeFileNameException;
import dev.nyla.sync.UnsupportedFormatException;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.artifact.ModelMismatchException;
import dev.nyla.sync.nativepayload.NativeInstall;
import dev.nyla.sync.nativepayload.StreamingCheck;
import dev.nyla.sync.publish.NativePayloadBuilder;
import dev.nyla.sync.publish.NativePayloadFormat;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.GenerationSpec;
import dev.nyla.sync.store.GenerationWriter;
import dev.nyla.sync.store.IntegrityReport;
import dev.nyla.sync.store.InventoryEntry;
import dev.nyla.sync.store.Payload;
import dev.nyla.sync.store.PayloadFile;
import dev.nyla.sync.store.SearchHit;
import dev.nyla.sync.store.SearchRequest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Lucene payloads: built by a publisher, installed by copying files, delta by file, and refused when bad. */
class LucenePayloadTest {
    private static final Logger LOG = LoggerFactory.getLogger(LucenePayloadTest.class);
    private static final int DIM = 32;
    private static final EmbeddingModel MODEL = TestData.model(DIM, Similarity.COSINE);
    /**
     * Graph search even for small tenants: the paths under test are the HNSW ones. One build thread: two
     * builds of the same records then make the same graph, so a prebuilt index and a rebuild can be compared
     * result for result. Threads building one graph together link nodes in the order they reach them, and
     * such graphs differ from run to run: on a loaded machine one query of 50 returned another top 10.
     */
    private static final LuceneOptions GRAPH = LuceneOptions.DEFAULTS.withExactSearchThreshold(0).withBuildThreads(1);

    @TempDir
    Path tmp;

    private static List<VectorRecord> corpus(int count, long seed) {
        return ClusteredVectors.records(MODEL, ClusteredVectors.vectors(count, DIM, 20, 0.3, seed), 3);
    }

    private Payload publish(List<VectorRecord> records, Path host) throws IOException {
        return publish(records, List.of(), host, Optional.empty());
    }

    /** Adds (and, on a base, deletes) records through the payload format, as the publisher does. */
    private Payload publish(List<VectorRecord> adds, List<String[]> deletes, Path host,
                            Optional<NativePayloadFormat.Base> base) throws IOException {
        LucenePayloadFormat format = new LucenePayloadFormat(GRAPH, tmp.resolve("work"));
        List<Object> ops = new ArrayList<>(adds);
        ops.addAll(deletes);
        ops.sort((a, b) -> RecordKeys.compare(tenant(a), id(a), tenant(b), id(b)));
        try (NativePayloadBuilder b = format.begin(MODEL, base)) {
            for (Object op : ops) {
                if (op instanceof VectorRecord r) {
                    b.add(r);
                } else {
                    b.delete(tenant(op), id(op));
                }
            }
            return b.finish(host);
        }
    }

    private static String tenant(Object op) {
        return op instanceof VectorRecord r ? r.tenant() : ((String[]) op)[0];
    }

    private static String id(Object op) {
        return op instanceof VectorRecord r ? r.id() : ((String[]) op)[1];
    }

    /**
     * What the sync client does: fetch (here: copy from the host) what the store lacks, feeding the store's
     * check of each file in the same pass, put, commit.
     */
    private static Generation install(LuceneVectorStore store, Payload payload, Path host, long version,
                                      List<PayloadFile> fetched) throws IOException {
        return install(store, payload, host, version, fetched, true);
    }

    /** As the client does, or, without {@code streamChecks}, as a caller that hands over files it only copied. */
    private static Generation install(LuceneVectorStore store, Payload payload, Path host, long version,
                                      List<PayloadFile> fetched, boolean streamChecks) throws IOException {
        try (NativeInstall install = store.nativeInstaller()
                .begin(GenerationSpec.of(version, "v" + version, MODEL), payload, true)) {
            for (PayloadFile f : install.filesToFetch()) {
                Path download = Files.createTempFile(host.getParent(), "download", ".part");
                ClientDownload.copy(host.resolve(f.name()), download,
                        streamChecks ? install.streamingCheck(f) : StreamingCheck.NONE);
                install.put(f, download);
                fetched.add(f);
            }
            return install.commit();
        }
    }

    /** The index file a payload file installs as. */
    private static String indexName(PayloadFile file) {
        return file.name().substring(("lucene-" + file.sha256() + "-").length());
    }

    /**
     * {@code good} with {@code victim} replaced by {@code bytes}, put on {@code host} under their own hash, as
     * a publisher that shipped them would describe them: size and SHA-256 match, so only the store can tell.
     */
    private static Payload shipping(Payload good, PayloadFile victim, byte[] bytes, Path host) throws IOException {
        String sha = dev.nyla.sync.ContentHash.sha256Hex(bytes);
        PayloadFile shipped = new PayloadFile(PayloadNames.hostName(sha, indexName(victim)), bytes.length, sha,
                victim.compression(), bytes.length);
        Files.write(host.resolve(shipped.name()), bytes);
        List<PayloadFile> files = new ArrayList<>(good.files());
        files.set(files.indexOf(victim), shipped);
        return new Payload(good.kind(), good.attributes(), files);
    }

    private static List<String> topIds(LuceneVectorStore store, String tenant, float[] query) throws IOException {
        return store.search(SearchRequest.of(tenant, query, 10)).stream().map(SearchHit::id).toList();
    }

    private static List<InventoryEntry> inventory(LuceneVectorStore store, String tenant) throws IOException {
        try (Stream<InventoryEntry> s = store.inventory(tenant)) {
            return s.toList();
        }
    }

    @Test
    void prebuiltIndexInstallsAndSearchesLikeTheSameRecordsBuiltFromRecords() throws IOException {
        List<VectorRecord> records = corpus(3000, 1);
        Path host = Files.createDirectories(tmp.resolve("host"));
        Payload payload = publish(records, host);
        assertEquals("1", payload.attributes().get("lucene.segments"), "a fresh payload is one merged segment");
        try (LuceneVectorStore fromPayload = LuceneVectorStore.open(tmp.resolve("a"), GRAPH);
             LuceneVectorStore fromRecords = LuceneVectorStore.open(tmp.resolve("b"), GRAPH)) {
            List<PayloadFile> fetched = new ArrayList<>();
            Generation g = install(fromPayload, payload, host, 1, fetched);
            assertEquals(payload.files(), fetched, "a store holding nothing fetches every file");
            assertEquals(records.size(), g.recordCount());
            fromPayload.activate(g.id());
            try (GenerationWriter w = fromRecords.newGeneration(GenerationSpec.of(1, "v1", MODEL))) {
                for (VectorRecord r : records) {
                    w.add(r);
                }
                fromRecords.activate(w.commit().id());
            }
            Random random = new Random(7);
            for (int q = 0; q < 50; q++) {
                String tenant = "t" + (q % 3);
                float[] query = TestData.unitVector(random, DIM);
                assertEquals(topIds(fromRecords, tenant, query), topIds(fromPayload, tenant, query), "query " + q);
            }
            for (String tenant : List.of("t0", "t1", "t2")) {
                assertEquals(inventory(fromRecords, tenant), inventory(fromPayload, tenant));
            }
            assertEquals(new IntegrityReport(g.id(), records.size(), "1 segment: every file's Lucene checksum matches"),
                    fromPayload.verifyActiveGeneration());
        }
    }

    @Test
    void aNewVersionBuiltOnThePreviousOneDownloadsOnlyTheFilesTheClientLacks() throws IOException {
        List<VectorRecord> v1 = corpus(20_000, 2);
        Path host = Files.createDirectories(tmp.resolve("host"));
        Payload p1 = publish(v1, host);
        long fullBytes = p1.files().stream().mapToLong(PayloadFile::size).sum();

        // 1% of the records change: 100 edited, 50 deleted, 50 added.
        Map<String, VectorRecord> v2 = new java.util.TreeMap<>();
        v1.forEach(r -> v2.put(r.tenant() + "\u0000" + r.id(), r));
        Random random = new Random(3);
        List<VectorRecord> adds = new ArrayList<>();
        List<String[]> deletes = new ArrayList<>();
        List<float[]> fresh = ClusteredVectors.vectors(150, DIM, 20, 0.3, 99);
        for (int i = 0; i < 100; i++) {
            VectorRecord old = v1.get(random.nextInt(v1.size()));
            VectorRecord edited = VectorRecord.of(old.tenant(), old.id(), "edited " + i, old.metadata(), MODEL, fresh.get(i));
            if (v2.put(old.tenant() + "\u0000" + old.id(), edited) != null && adds.stream().noneMatch(a -> a.id().equals(old.id()))) {
                adds.add(edited);
            }
        }
        for (int i = 0; i < 50; i++) {
            VectorRecord gone = v1.get(random.nextInt(v1.size()));
            String key = gone.tenant() + "\u0000" + gone.id();
            if (adds.stream().noneMatch(a -> a.id().equals(gone.id())) && v2.remove(key) != null) {
                deletes.add(new String[] {gone.tenant(), gone.id()});
            }
        }
        for (int i = 0; i < 50; i++) {
            VectorRecord added = VectorRecord.of("t" + (i % 3), "new-" + i, "added " + i, Map.of(), MODEL, fresh.get(100 + i));
            v2.put(added.tenant() + "\u0000" + added.id(), added);
            adds.add(added);
        }
        Payload p2 = publish(adds, deletes, host, Optional.of(new NativePayloadFormat.Base(p1, host)));

        try (LuceneVectorStore store = LuceneVectorStore.open(tmp.resolve("client"), GRAPH)) {
            store.activate(install(store, p1, host, 1, new ArrayList<>()).id());
            List<PayloadFile> fetched = new ArrayList<>();
            Generation g2 = install(store, p2, host, 2, fetched);
            long deltaBytes = fetched.stream().mapToLong(PayloadFile::size).sum();
            long full2 = p2.files().stream().mapToLong(PayloadFile::size).sum();
            LOG.info("1% changed: delta by file {} of {} files, {} bytes = {}% of the full {} bytes", fetched.size(),
                    p2.files().size(), deltaBytes, String.format("%.2f", 100.0 * deltaBytes / full2), full2);
            assertTrue(deltaBytes < full2 / 10, "delta " + deltaBytes + " bytes of " + full2);
            assertTrue(fullBytes > 0);
            assertEquals(v2.size(), g2.recordCount());
            store.activate(g2.id());
            for (String tenant : List.of("t0", "t1", "t2")) {
                List<InventoryEntry> expected = v2.values().stream().filter(r -> r.tenant().equals(tenant))
                        .map(r -> new InventoryEntry(r.id(), r.contentHash(), MODEL.fingerprint())).toList();
                assertEquals(expected, inventory(store, tenant), "inventory of " + tenant);
            }
            VectorRecord edited = adds.get(0);
            SearchHit top = store.search(SearchRequest.of(edited.tenant(), edited.vector(), 1)).get(0);
            assertEquals(edited.id(), top.id());
            assertEquals(edited.text(), top.text());
            // Rollback still has version 1, untouched by the delta that shared its files.
            assertEquals(1, store.rollback().version());
            assertEquals(v1.size(), store.stats().records());
        }
    }

    @Test
    void anIndexFileFailingLucenesChecksumIsRefusedBeforeAnythingServesIt() throws IOException {
        List<VectorRecord> v1 = corpus(500, 4);
        Path host = Files.createDirectories(tmp.resolve("host"));
        Payload good = publish(v1, host);
        try (LuceneVectorStore store = LuceneVectorStore.open(tmp.resolve("client"), GRAPH)) {
            Generation g1 = install(store, good, host, 1, new ArrayList<>());
            store.activate(g1.id());
            // A publisher shipped a damaged file: its SHA-256 in the manifest matches the damaged bytes,
            // so only Lucene's own checksum can tell.
            PayloadFile victim = good.files().stream().max((a, b) -> Long.compare(a.size(), b.size())).orElseThrow();
            byte[] bytes = Files.readAllBytes(host.resolve(victim.name()));
            bytes[bytes.length / 2] ^= 0x10;
            String indexName = indexName(victim);
            Payload bad = shipping(good, victim, bytes, host);

            try (LuceneVectorStore fresh = LuceneVectorStore.open(tmp.resolve("fresh"), GRAPH)) {
                IntegrityException e = assertThrows(IntegrityException.class,
                        () -> install(fresh, bad, host, 2, new ArrayList<>()));
                assertTrue(e.getMessage().contains(indexName) && e.getMessage().contains("CRC32"), e.getMessage());
                assertEquals(List.of(), fresh.generations());
                // Handed over without the streaming pass, the file is read in full at commit: refused all the same.
                e = assertThrows(IntegrityException.class,
                        () -> install(fresh, bad, host, 2, new ArrayList<>(), false));
                assertTrue(e.getMessage().contains(indexName) && e.getMessage().contains("checksum failed"),
                        e.getMessage());
                assertEquals(List.of(), fresh.generations());
            }
            // The client with version 1 reuses every other file, downloads the damaged one, refuses it.
            IntegrityException e = assertThrows(IntegrityException.class,
                    () -> install(store, bad, host, 2, new ArrayList<>()));
            assertTrue(e.getMessage().contains("checksum"), e.getMessage());
            assertEquals(List.of(g1.id()), store.generations().stream().map(Generation::id).toList());
            assertEquals(g1.id(), store.activeGeneration().orElseThrow().id());
            assertEquals(10, store.search(SearchRequest.of("t0", v1.get(0).vector(), 10)).size());
            try (Stream<Path> left = Files.list(tmp.resolve("client").resolve("tmp"))) {
                assertEquals(List.of(), left.toList(), "nothing of the refused install is left");
            }
        }
    }

    @Test
    void anIndexFileOfAnotherSegmentPassesItsChecksumButIsRefusedAtCommitWhileTheOldVersionServes()
            throws IOException {
        List<VectorRecord> v1 = corpus(500, 4);
        Path host = Files.createDirectories(tmp.resolve("host"));
        Payload good = publish(v1, host);
        // The publisher shipped a file whose header names another segment, with a footer that matches its
        // bytes: only opening the index tells. The vectors' metadata, or the compound file holding it.
        PayloadFile victim = good.files().stream().filter(f -> f.name().endsWith(".vem") || f.name().endsWith(".cfs"))
                .findFirst().orElseThrow();
        byte[] bytes = Files.readAllBytes(host.resolve(victim.name()));
        int idAt = 4 + 1 + bytes[4] + 4; // magic, codec name (one-byte length), version: then the segment id
        bytes[idAt] ^= 0x01;
        CRC32 crc = new CRC32();
        crc.update(bytes, 0, bytes.length - Long.BYTES);
        ByteBuffer.wrap(bytes, bytes.length - Long.BYTES, Long.BYTES).putLong(crc.getValue());
        String indexName = indexName(victim);
        Payload bad = shipping(good, victim, bytes, host);

        try (LuceneVectorStore store = LuceneVectorStore.open(tmp.resolve("client"), GRAPH)) {
            Generation g1 = install(store, good, host, 1, new ArrayList<>());
            store.activate(g1.id());
            IntegrityException e = assertThrows(IntegrityException.class,
                    () -> install(store, bad, host, 2, new ArrayList<>()));
            assertTrue(e.getMessage().contains("Lucene index") && e.getMessage().contains(indexName),
                    e.getMessage());
            assertInstanceOf(org.apache.lucene.index.CorruptIndexException.class, e.getCause());
            assertEquals(List.of(g1.id()), store.generations().stream().map(Generation::id).toList());
            assertEquals(g1.id(), store.activeGeneration().orElseThrow().id());
            assertEquals(10, store.search(SearchRequest.of("t0", v1.get(0).vector(), 10)).size());
            try (Stream<Path> left = Files.list(tmp.resolve("client").resolve("tmp"))) {
                assertEquals(List.of(), left.filter(p -> !p.getFileName().toString().startsWith("deleted-")).toList(),
                        "nothing of the refused install is left");
            }
        }
    }

    @Test
    @DisabledOnOs(value = OS.WINDOWS, disabledReason = "open files cannot be deleted there")
    void aCommittedGenerationIsActivatedWithTheReaderItsCommitOpened() throws IOException {
        List<VectorRecord> v1 = corpus(500, 4);
        Path host = Files.createDirectories(tmp.resolve("host"));
        Payload payload = publish(v1, host);
        try (LuceneVectorStore store = LuceneVectorStore.open(tmp.resolve("client"), GRAPH)) {
            Generation g1 = install(store, payload, host, 1, new ArrayList<>());
            // Opened at commit: the files can go from the directory (POSIX keeps open files) and it still serves.
            try (Stream<Path> index = Files.list(store.indexDirectory(g1.id()))) {
                for (Path f : index.toList()) {
                    if (!f.getFileName().toString().startsWith("segments")) {
                        Files.delete(f);
                    }
                }
            }
            store.activate(g1.id());
            assertEquals(10, store.search(SearchRequest.of("t0", v1.get(0).vector(), 10)).size());
        }
    }

    @Test
    void anIndexOfAnotherModelIsRefused() throws IOException {
        Path host = Files.createDirectories(tmp.resolve("host"));
        Payload payload = publish(corpus(50, 5), host);
        EmbeddingModel other = new EmbeddingModel(MODEL.id(), DIM, Similarity.COSINE, true, "sha256:" + "0".repeat(64));
        try (LuceneVectorStore store = LuceneVectorStore.open(tmp.resolve("client"), GRAPH);
             NativeInstall install = store.nativeInstaller()
                     .begin(GenerationSpec.of(1, "v1", other), payload, true)) {
            for (PayloadFile f : install.filesToFetch()) {
                Path copy = Files.createTempFile(tmp, "f", ".part");
                Files.copy(host.resolve(f.name()), copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                install.put(f, copy);
            }
            ModelMismatchException e = assertThrows(ModelMismatchException.class, install::commit);
            assertTrue(e.getMessage().contains(MODEL.fingerprint()), e.getMessage());
            assertEquals(List.of(), store.generations());
        }
    }

    @Test
    void aPayloadThisLuceneCannotReadIsRefusedBeforeDownloadNamingTheVersions() throws IOException {
        Path host = Files.createDirectories(tmp.resolve("host"));
        Payload payload = publish(corpus(20, 6), host);
        try (LuceneVectorStore store = LuceneVectorStore.open(tmp.resolve("client"), GRAPH)) {
            var installer = store.nativeInstaller();
            installer.checkReadable(payload, "host");
            Map<String, String> newer = new HashMap<>(payload.attributes());
            newer.put("lucene.version", "11.0.0");
            UnsupportedFormatException e = assertThrows(UnsupportedFormatException.class,
                    () -> installer.checkReadable(new Payload(payload.kind(), newer, payload.files()), "host"));
            assertTrue(e.getMessage().contains("lucene.version") && e.getMessage().contains("11.0.0")
                    && e.getMessage().contains(org.apache.lucene.util.Version.LATEST.toString()), e.getMessage());
            Map<String, String> unknownCodec = new HashMap<>(payload.attributes());
            unknownCodec.put("lucene.codecs", "Lucene999");
            e = assertThrows(UnsupportedFormatException.class,
                    () -> installer.checkReadable(new Payload(payload.kind(), unknownCodec, payload.files()), "host"));
            assertTrue(e.getMessage().contains("Lucene999"), e.getMessage());
        }
    }

    @Test
    void payloadFileNamesMustCarryTheirHashAndNeverNameALock() throws IOException {
        Path host = Files.createDirectories(tmp.resolve("host"));
        Payload payload = publish(corpus(20, 7), host);
        PayloadFile f = payload.files().get(0);
        String other = "f".repeat(64);
        for (String name : List.of("lucene-" + other + "-_0.si", "lucene-" + f.sha256() + "-write.lock", "_0.si")) {
            PayloadFile renamed = new PayloadFile(name, f.size(), f.sha256(), f.compression(), f.uncompressedSize());
            Payload bad = new Payload(payload.kind(), payload.attributes(), List.of(renamed));
            try (LuceneVectorStore store = LuceneVectorStore.open(tmp.resolve("client-" + name.length() + name.hashCode()), GRAPH)) {
                assertThrows(UnsafeFileNameException.class, () -> store.nativeInstaller()
                        .begin(GenerationSpec.of(1, "v1", MODEL), bad, true), name);
                assertEquals(List.of(), store.generations());
            }
        }
    }
}
