package dev.nyla.sync.publish;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.ArtifactException;
import dev.nyla.sync.DimensionMismatchException;
import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.InvalidVectorException;
import dev.nyla.sync.SourceRecord;
import dev.nyla.sync.VectorEncoding;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.artifact.BadSignatureException;
import dev.nyla.sync.artifact.Delta;
import dev.nyla.sync.artifact.DirectoryArtifactSource;
import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.artifact.internal.Artifacts;
import dev.nyla.sync.corpus.Corpus;
import dev.nyla.sync.corpus.CorpusException;
import dev.nyla.sync.demo.HashingEmbedder;
import dev.nyla.sync.embed.CountingEmbedder;
import dev.nyla.sync.embed.Embedder;
import dev.nyla.sync.internal.RecordEntry;
import dev.nyla.sync.internal.RecordFileReader;
import dev.nyla.sync.store.Compression;
import dev.nyla.sync.store.GenerationSpec;
import dev.nyla.sync.store.GenerationWriter;
import dev.nyla.sync.store.PayloadFile;
import dev.nyla.sync.store.SearchHit;
import dev.nyla.sync.store.SearchRequest;
import dev.nyla.sync.store.internal.MemoryVectorStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PublisherTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-21T12:00:00.123Z"), ZoneOffset.UTC);
    private static final KeyPair KEYS = SigningKeys.generate();

    @TempDir
    Path dir;

    static List<SourceRecord> corpus(int n) {
        List<SourceRecord> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String tenant = i % 3 == 0 ? "acme" : "default";
            out.add(new SourceRecord(tenant, "doc-" + i, "Document number " + i + " about topic " + (i % 7),
                    Map.of("topic", "t" + (i % 7))));
        }
        return out;
    }

    private Publisher publisher(Embedder embedder) {
        return Publisher.builder().signingKey(KEYS).embedder(embedder).clock(CLOCK).build();
    }

    /** Every record of a verified artifact, read through the same checks a client uses. */
    static List<VectorRecord> readFull(Path artifact, PayloadFile file) throws IOException {
        Manifest m = Artifacts.fetchVerifiedManifest(new DirectoryArtifactSource(artifact), List.of(KEYS.getPublic()));
        List<VectorRecord> out = new ArrayList<>();
        try (RecordFileReader r = Artifacts.openRecordFile(new DirectoryArtifactSource(artifact), file, m.model().dimension(),
                m.vectorEncoding())) {
            for (Optional<RecordEntry> e; (e = r.next()).isPresent(); ) {
                out.add(((RecordEntry.Upsert) e.get()).record());
            }
        }
        return out;
    }

    static Manifest manifest(Path artifact) throws IOException {
        return Artifacts.fetchVerifiedManifest(new DirectoryArtifactSource(artifact), List.of(KEYS.getPublic()));
    }

    @Test
    void firstVersionHoldsEveryRecordWithItsEmbeddingInBothEncodings() throws IOException {
        CountingEmbedder embedder = new CountingEmbedder(new HashingEmbedder(32));
        Corpus corpus = Corpus.of(corpus(50));
        PublishResult result = publisher(embedder).publish(corpus, dir.resolve("v1"));

        assertEquals(50, embedder.texts());
        assertEquals(50, result.added());
        assertEquals(0, result.updated() + result.unchanged() + result.deleted());
        Manifest m = manifest(dir.resolve("v1"));
        assertEquals(result.manifest(), m);
        assertEquals(1, m.version());
        assertEquals(50, m.records());
        assertEquals(2, m.tenants());
        assertEquals(Instant.parse("2026-11-21T12:00:00Z"), m.createdAt());
        assertEquals(List.of(Compression.GZIP, Compression.NONE), m.payload().files().stream().map(PayloadFile::compression).toList());
        assertTrue(m.deltas().isEmpty());
        for (PayloadFile f : m.payload().files()) {
            assertTrue(f.name().contains(f.sha256()), "content-addressed: " + f.name());
            assertEquals(f.size(), Files.size(dir.resolve("v1").resolve(f.name())));
            List<VectorRecord> records = readFull(dir.resolve("v1"), f);
            assertEquals(50, records.size());
            for (VectorRecord r : records) {
                SourceRecord s = corpus.records().stream().filter(x -> x.id().equals(r.id())).findFirst().orElseThrow();
                assertEquals(s.text(), r.text());
                assertEquals(s.metadata(), r.metadata());
                assertArrayEquals(embedder.embed(s.text()), r.vector());
                assertEquals(s.contentHash(embedder.model().fingerprint()), r.contentHash());
            }
        }
        try (Stream<Path> files = Files.list(dir.resolve("v1"))) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary files left");
        }
    }

    @Test
    void incrementalVersionEmbedsExactlyTheChangedRecordsAndItsDeltaTurnsV1IntoV2() throws IOException {
        Publisher first = publisher(new HashingEmbedder(32));
        Corpus v1 = Corpus.of(corpus(40));
        first.publish(v1, dir.resolve("v1"));

        List<SourceRecord> edited = new ArrayList<>(v1.records());
        edited.removeIf(s -> s.id().equals("doc-5") || s.id().equals("doc-6"));                      // 2 deleted
        edited.replaceAll(s -> s.id().equals("doc-7") || s.id().equals("doc-12")
                ? new SourceRecord(s.tenant(), s.id(), s.text() + " (edited)", s.metadata()) : s);    // 2 text edits
        edited.replaceAll(s -> s.id().equals("doc-9")
                ? new SourceRecord(s.tenant(), s.id(), s.text(), Map.of("topic", "moved")) : s);     // 1 metadata edit
        edited.add(new SourceRecord("default", "doc-new-1", "A brand new document", Map.of()));      // 2 added
        edited.add(new SourceRecord("zeta", "z-1", "A new tenant appears", Map.of()));
        CountingEmbedder counting = new CountingEmbedder(new HashingEmbedder(32));
        PublishResult v2 = publisher(counting).publish(Corpus.of(edited), dir.resolve("v2"), dir.resolve("v1"));

        assertEquals(5, counting.texts(), "embed calls == changed chunks, exactly: " + counting.seen());
        assertEquals(5, v2.embedded());
        assertEquals(2, v2.added());
        assertEquals(3, v2.updated());
        assertEquals(2, v2.deleted());
        assertEquals(35, v2.unchanged());
        Manifest m2 = manifest(dir.resolve("v2"));
        assertEquals(2, m2.version());
        Delta delta = m2.deltaFrom(1).orElseThrow();
        assertEquals(5, delta.upserts());
        assertEquals(2, delta.deletes());
        assertTrue(v2.deltaBytes() > 0 && v2.deltaBytes() < v2.fullBytes() / 3,
                "delta " + v2.deltaBytes() + " vs full " + v2.fullBytes());

        // Applying the delta to version 1 in a store gives exactly version 2's full payload.
        EmbeddingModel model = m2.model();
        MemoryVectorStore store = new MemoryVectorStore();
        var g1 = store.newGeneration(GenerationSpec.of(1, "v1", model));
        for (VectorRecord r : readFull(dir.resolve("v1"), manifest(dir.resolve("v1")).payload().files().get(0))) {
            g1.add(r);
        }
        long base = g1.commit().id();
        try (GenerationWriter w = store.newGeneration(GenerationSpec.of(2, "v2", model), base);
             RecordFileReader r = Artifacts.openRecordFile(new DirectoryArtifactSource(dir.resolve("v2")),
                     delta.files().get(0), model.dimension(), VectorEncoding.F32)) {
            for (Optional<RecordEntry> e; (e = r.next()).isPresent(); ) {
                switch (e.get()) {
                    case RecordEntry.Upsert u -> w.add(u.record());
                    case RecordEntry.Delete d -> w.delete(d.tenant(), d.id());
                }
            }
            store.activate(w.commit().id());
        }
        Map<String, String> expected = new TreeMap<>();
        List<VectorRecord> full2 = readFull(dir.resolve("v2"), m2.payload().files().get(1));
        full2.forEach(r -> expected.put(r.tenant() + "/" + r.id(), r.contentHash()));
        Map<String, String> actual = new TreeMap<>();
        List<String> tenants;
        try (Stream<String> s = store.tenants()) {
            tenants = s.toList();
        }
        for (String tenant : tenants) {
            try (var inventory = store.inventory(tenant)) {
                inventory.forEach(e -> actual.put(tenant + "/" + e.id(), e.contentHash()));
            }
        }
        assertEquals(expected, actual);
        for (VectorRecord r : full2) {
            SearchHit top = store.search(SearchRequest.of(r.tenant(), r.vector(), 1)).get(0);
            assertEquals(r.id(), top.id());
            assertEquals(1.0f, top.score(), 1e-5f, "the stored vector is the published one");
        }
    }

    @Test
    void anUnchangedCorpusEmbedsNothingAndItsDeltaIsEmpty() throws IOException {
        Corpus corpus = Corpus.of(corpus(20));
        publisher(new HashingEmbedder(32)).publish(corpus, dir.resolve("v1"));
        CountingEmbedder counting = new CountingEmbedder(new HashingEmbedder(32));
        PublishResult v2 = publisher(counting).publish(corpus, dir.resolve("v2"), dir.resolve("v1"));
        assertEquals(0, counting.texts());
        assertEquals(20, v2.unchanged());
        Delta delta = v2.manifest().deltaFrom(1).orElseThrow();
        assertEquals(0, delta.upserts() + delta.deletes());
    }

    @Test
    void changedRecordsAreEmbeddedInBatchesOfSimilarLengthAndEachKeepsItsOwnVector() throws IOException {
        // Lengths that zigzag in key order: batches in key order would each mix short and long texts.
        List<SourceRecord> records = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            String text = "Paragraph " + i + " " + "word ".repeat((i * 37) % 50);
            records.add(new SourceRecord("default", String.format("doc-%03d", i), text, Map.of()));
        }
        List<List<String>> calls = new ArrayList<>();
        HashingEmbedder hashing = new HashingEmbedder(32);
        Embedder recording = new Embedder() {
            @Override
            public EmbeddingModel model() {
                return hashing.model();
            }

            @Override
            public List<float[]> embed(List<String> texts) throws IOException {
                calls.add(List.copyOf(texts));
                return hashing.embed(texts);
            }
        };
        Path v1 = dir.resolve("v1");
        Publisher.builder().signingKey(KEYS).embedder(recording).clock(CLOCK).batchSize(8).build()
                .publish(Corpus.of(records), v1);

        List<String> order = calls.stream().flatMap(List::stream).toList();
        assertEquals(60, order.size(), "each record embedded once");
        for (int i = 1; i < order.size(); i++) {
            assertTrue(order.get(i - 1).length() <= order.get(i).length(),
                    "texts reach the embedder from the shortest to the longest: " + order.get(i - 1) + " before " + order.get(i));
        }
        Manifest m = Artifacts.fetchVerifiedManifest(new DirectoryArtifactSource(v1), List.of(KEYS.getPublic()));
        List<VectorRecord> written = readFull(v1, Artifacts.preferredEncoding(m.payload().files()));
        assertEquals(60, written.size());
        for (VectorRecord r : written) {
            assertArrayEquals(hashing.embed(r.text()), r.vector(), "the vector of " + r.id() + " is its own text's");
        }
    }

    @Test
    void theListenerIsToldHowManyRecordsWillBeEmbeddedBeforeTheFirstBatch() throws IOException {
        List<SourceRecord> records = corpus(300);
        publisher(new HashingEmbedder(32)).publish(Corpus.of(records), dir.resolve("v1"));
        List<SourceRecord> edited = new ArrayList<>(records);
        edited.removeIf(s -> s.id().equals("doc-1"));                                             // deleted: not embedded
        edited.replaceAll(s -> s.id().endsWith("7") ? new SourceRecord(s.tenant(), s.id(), s.text() + " (edited)",
                s.metadata()) : s);                                                               // 30 edited
        edited.add(new SourceRecord("default", "doc-new", "A brand new document", Map.of()));      // 1 added
        List<String> events = new ArrayList<>();
        PublishListener listener = new PublishListener() {
            @Override
            public void recordsWritten(long done, long total) {
            }

            @Override
            public void embeddingStarted(long total) {
                events.add("started " + total);
            }

            @Override
            public void embedded(long done, long total) {
                events.add(done + "/" + total);
            }
        };
        CountingEmbedder counting = new CountingEmbedder(new HashingEmbedder(32));
        Publisher.builder().signingKey(KEYS).embedder(counting).clock(CLOCK).batchSize(8).listener(listener).build()
                .publish(Corpus.of(edited), dir.resolve("v2"), dir.resolve("v1"));

        assertEquals(31, counting.texts());
        assertEquals("started 31", events.get(0), "the total is the changed records, known before embedding: " + events);
        assertEquals("31/31", events.get(events.size() - 1), events.toString());
        assertTrue(events.size() > 2, "one event per batch of 8: " + events);
        assertTrue(events.stream().skip(1).allMatch(e -> e.endsWith("/31")), events.toString());

        // A first version embeds every record, and an unchanged corpus none (the start is still reported).
        events.clear();
        Publisher.builder().signingKey(KEYS).embedder(new HashingEmbedder(32)).clock(CLOCK).listener(listener).build()
                .publish(Corpus.of(edited), dir.resolve("v3"));
        assertEquals("started 300", events.get(0));
        events.clear();
        Publisher.builder().signingKey(KEYS).embedder(new HashingEmbedder(32)).clock(CLOCK).listener(listener).build()
                .publish(Corpus.of(edited), dir.resolve("v4"), dir.resolve("v3"));
        assertEquals(List.of("started 0"), events);
    }

    @Test
    void publishingIntoThePreviousDirectoryKeepsOldPayloadsForClientsStillDownloading() throws IOException {
        Path out = dir.resolve("site");
        publisher(new HashingEmbedder(32)).publish(Corpus.of(corpus(10)), out);
        Manifest v1 = manifest(out);
        List<SourceRecord> more = new ArrayList<>(corpus(10));
        more.add(new SourceRecord("default", "extra", "extra text", Map.of()));
        publisher(new HashingEmbedder(32)).publish(Corpus.of(more), out, out);
        Manifest v2 = manifest(out);
        assertEquals(2, v2.version());
        for (PayloadFile f : v1.payload().files()) {
            assertTrue(Files.exists(out.resolve(f.name())), f.name());
        }
        assertEquals(11, readFull(out, v2.payload().files().get(0)).size());
    }

    @Test
    void sameInputKeyAndClockGiveByteIdenticalOutput() throws IOException {
        Corpus corpus = Corpus.of(corpus(30));
        publisher(new HashingEmbedder(32)).publish(corpus, dir.resolve("a"));
        publisher(new HashingEmbedder(32)).publish(corpus, dir.resolve("b"));
        List<SourceRecord> changed = new ArrayList<>(corpus.records());
        changed.remove(3);
        publisher(new HashingEmbedder(32)).publish(Corpus.of(changed), dir.resolve("a2"), dir.resolve("a"));
        publisher(new HashingEmbedder(32)).publish(Corpus.of(changed), dir.resolve("b2"), dir.resolve("b"));
        for (String[] pair : new String[][] {{"a", "b"}, {"a2", "b2"}}) {
            List<String> namesA = list(dir.resolve(pair[0]));
            assertEquals(namesA, list(dir.resolve(pair[1])));
            for (String name : namesA) {
                assertArrayEquals(Files.readAllBytes(dir.resolve(pair[0]).resolve(name)),
                        Files.readAllBytes(dir.resolve(pair[1]).resolve(name)), name);
            }
        }
    }

    @Test
    void aPublicationInAnotherJvmIsByteIdentical() throws Exception {
        Path key = SigningKeys.write(KEYS, dir.resolve("release"));
        DeterminismMain.publishBoth(key, dir.resolve("here"));
        Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
        Path log = dir.resolve("child.log");
        Process p = new ProcessBuilder(javaBin.toString(), "-cp", System.getProperty("java.class.path"),
                DeterminismMain.class.getName(), key.toString(), dir.resolve("there").toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(2, java.util.concurrent.TimeUnit.MINUTES)) {
            p.destroyForcibly();
            fail("child JVM did not finish: " + Files.readString(log));
        }
        assertEquals(0, p.exitValue(), Files.readString(log));
        assertEquals(List.of(2L, 1L), manifest(dir.resolve("here").resolve("site")).deltas().stream()
                .map(Delta::fromVersion).toList());
        for (String version : new String[] {"v1", "v2", "site"}) {
            List<String> names = list(dir.resolve("here").resolve(version));
            assertEquals(names, list(dir.resolve("there").resolve(version)));
            assertTrue(names.size() >= 4, names.toString());
            for (String name : names) {
                assertArrayEquals(Files.readAllBytes(dir.resolve("here").resolve(version).resolve(name)),
                        Files.readAllBytes(dir.resolve("there").resolve(version).resolve(name)), version + "/" + name);
            }
        }
    }

    @Test
    void aZeroVectorIsRefusedForACosineModel() {
        Embedder zeros = new Embedder() {
            @Override
            public EmbeddingModel model() {
                return new HashingEmbedder(4).model();
            }

            @Override
            public List<float[]> embed(List<String> texts) {
                return texts.stream().map(t -> new float[4]).toList();
            }
        };
        InvalidVectorException e = assertThrows(InvalidVectorException.class,
                () -> publisher(zeros).publish(Corpus.of(corpus(2)), dir.resolve("z")));
        assertTrue(e.getMessage().contains("cosine needs a direction"), e.getMessage());
    }

    @Test
    void aModelChangeReEmbedsEverythingAndWritesNoDelta() throws IOException {
        Corpus corpus = Corpus.of(corpus(15));
        publisher(new HashingEmbedder(32)).publish(corpus, dir.resolve("v1"));
        CountingEmbedder other = new CountingEmbedder(new HashingEmbedder(48));
        PublishResult v2 = publisher(other).publish(corpus, dir.resolve("v2"), dir.resolve("v1"));
        assertEquals(15, other.texts());
        assertEquals(15, v2.updated());
        assertTrue(v2.manifest().deltas().isEmpty());
        assertEquals(48, v2.manifest().model().dimension());
    }

    @Test
    void aPreviousVersionSignedByAnotherKeyIsRefused() throws IOException {
        Corpus corpus = Corpus.of(corpus(5));
        Publisher.builder().signingKey(SigningKeys.generate()).embedder(new HashingEmbedder(32)).clock(CLOCK).build()
                .publish(corpus, dir.resolve("v1"));
        assertThrows(BadSignatureException.class,
                () -> publisher(new HashingEmbedder(32)).publish(corpus, dir.resolve("v2"), dir.resolve("v1")));
    }

    @Test
    void aCorruptedPreviousPayloadIsRefusedAndNothingIsPublished() throws IOException {
        Corpus corpus = Corpus.of(corpus(5));
        PublishResult v1 = publisher(new HashingEmbedder(32)).publish(corpus, dir.resolve("v1"));
        PayloadFile plain = v1.manifest().payload().files().get(1);
        Path file = dir.resolve("v1").resolve(plain.name());
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 40] ^= 0x55;
        Files.write(file, bytes);
        assertThrows(ArtifactException.class,
                () -> publisher(new HashingEmbedder(32)).publish(corpus, dir.resolve("v2"), dir.resolve("v1")));
        assertFalse(Files.exists(dir.resolve("v2").resolve(Manifest.FILE_NAME)));
        assertEquals(List.of(), list(dir.resolve("v2")), "no leftovers");
    }

    @Test
    void anEmbedderReturningTheWrongDimensionOrNaNIsRefused() throws IOException {
        Embedder wrongDimension = new Embedder() {
            @Override
            public EmbeddingModel model() {
                return new HashingEmbedder(32).model();
            }

            @Override
            public List<float[]> embed(List<String> texts) {
                return texts.stream().map(t -> new float[31]).toList();
            }
        };
        DimensionMismatchException e = assertThrows(DimensionMismatchException.class,
                () -> publisher(wrongDimension).publish(Corpus.of(corpus(3)), dir.resolve("x")));
        assertEquals("32", e.expected());
        assertEquals("31", e.actual());
        assertTrue(e.getMessage().contains("doc-"), e.getMessage());

        Embedder nan = new Embedder() {
            @Override
            public EmbeddingModel model() {
                return new HashingEmbedder(4).model();
            }

            @Override
            public List<float[]> embed(List<String> texts) {
                return texts.stream().map(t -> new float[] {0, Float.NaN, 0, 0}).toList();
            }
        };
        InvalidVectorException n = assertThrows(InvalidVectorException.class,
                () -> publisher(nan).publish(Corpus.of(corpus(3)), dir.resolve("y")));
        assertEquals("NaN", n.actual());
        assertFalse(Files.exists(dir.resolve("y").resolve(Manifest.FILE_NAME)));
    }

    @Test
    void precomputedRecordsWithADuplicateKeyAreRefused() {
        EmbeddingModel model = new HashingEmbedder(4).model();
        VectorRecord a = VectorRecord.of("t", "x", "one", Map.of(), model, new float[] {1, 0, 0, 0});
        VectorRecord b = VectorRecord.of("t", "x", "two", Map.of(), model, new float[] {0, 1, 0, 0});
        CorpusException e = assertThrows(CorpusException.class, () -> Publisher.builder().signingKey(KEYS).build()
                .publishRecords(List.of(a, b), model, dir.resolve("dup")));
        assertTrue(e.getMessage().contains("duplicate key t/x"), e.getMessage());
    }

    @Test
    void builderRefusesMissingKeyAndBadSettings() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Publisher.builder().build());
        assertTrue(e.getMessage().contains("signing key"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Publisher.builder().channel("Bad Channel"));
        assertThrows(IllegalArgumentException.class, () -> Publisher.builder().rolloutPercent(101));
        assertThrows(IllegalArgumentException.class, () -> Publisher.builder().expiresAfter(java.time.Duration.ZERO));
        assertThrows(IllegalStateException.class,
                () -> Publisher.builder().signingKey(KEYS).build().publish(Corpus.of(corpus(1)), dir));
    }

    /** The regular files under {@code d}, as paths relative to it (the site's history is a subdirectory). */
    private static List<String> list(Path d) throws IOException {
        if (!Files.exists(d)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(d)) {
            return s.filter(Files::isRegularFile).map(p -> d.relativize(p).toString()).sorted().toList();
        }
    }
}
