package dev.nyla.sync.publish;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.InvalidVectorException;
import dev.nyla.sync.Similarity;
import dev.nyla.sync.SourceRecord;
import dev.nyla.sync.TestData;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.artifact.internal.Artifacts;
import dev.nyla.sync.artifact.DirectoryArtifactSource;
import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.internal.RecordEntry;
import dev.nyla.sync.internal.RecordFileReader;
import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.VectorEncoding;
import dev.nyla.sync.corpus.Corpus;
import dev.nyla.sync.embed.CountingEmbedder;
import dev.nyla.sync.demo.HashingEmbedder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Publishing float16 vectors: every vector rounded once, before it goes anywhere, so that records, deltas and
 * native payloads hold the same values and carried-over vectors round-trip exactly; switching the encoding
 * writes no delta; a component float16 cannot hold is refused.
 */
class Float16PublishingTest {
    private static final KeyPair KEYS = SigningKeys.generate();
    private static final HashingEmbedder EMBEDDER = new HashingEmbedder(32);

    @TempDir
    Path dir;

    private PublishResult publish(VectorEncoding encoding, CountingEmbedder embedder, List<SourceRecord> corpus,
                                  String out, String previous, TenantFilesFormat format) throws IOException {
        Publisher.Builder b = Publisher.builder().signingKey(KEYS).embedder(embedder).vectorEncoding(encoding);
        if (format != null) {
            b.nativePayload(format);
        }
        Publisher p = b.build();
        return previous == null ? p.publish(Corpus.of(corpus), dir.resolve(out))
                : p.publish(Corpus.of(corpus), dir.resolve(out), dir.resolve(previous));
    }

    private Map<String, float[]> vectors(String version) throws IOException {
        Path artifact = dir.resolve(version);
        Manifest m = Artifacts.fetchVerifiedManifest(new DirectoryArtifactSource(artifact), List.of(KEYS.getPublic()));
        Map<String, float[]> out = new HashMap<>();
        try (RecordFileReader r = Artifacts.openRecordFile(new DirectoryArtifactSource(artifact),
                m.payload().files().get(0), m.model().dimension(), m.vectorEncoding())) {
            for (Optional<RecordEntry> e; (e = r.next()).isPresent(); ) {
                VectorRecord record = ((RecordEntry.Upsert) e.get()).record();
                out.put(record.id(), record.vector());
            }
        }
        return out;
    }

    private static float[] half(float[] v) {
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Float.float16ToFloat(Float.floatToFloat16(v[i]));
        }
        return out;
    }

    /** Version 2 of {@link PublisherTest#corpus}: doc-3 edited, doc-6 deleted, doc-new added. */
    private static List<SourceRecord> edited(List<SourceRecord> v1) {
        List<SourceRecord> v2 = new ArrayList<>();
        for (SourceRecord s : v1) {
            if (s.id().equals("doc-3")) {
                v2.add(new SourceRecord(s.tenant(), s.id(), s.text() + " Revised.", s.metadata()));
            } else if (!s.id().equals("doc-6")) {
                v2.add(s);
            }
        }
        v2.add(new SourceRecord("acme", "doc-new", "A new acme document", Map.of()));
        return v2;
    }

    @Test
    void f16VersionsAreFormat2AndHoldTheEmbeddingsRoundedInHalfTheVectorBytes() throws IOException {
        List<SourceRecord> corpus = PublisherTest.corpus(40);
        PublishResult f32 = publish(VectorEncoding.F32, new CountingEmbedder(EMBEDDER), corpus, "f32", null, null);
        PublishResult f16 = publish(VectorEncoding.F16, new CountingEmbedder(EMBEDDER), corpus, "f16", null, null);

        assertEquals(1, f32.manifest().formatVersion());
        assertEquals(2, f16.manifest().formatVersion());
        assertEquals(VectorEncoding.F16, f16.manifest().vectorEncoding());
        assertEquals(f32.fullRawBytes() - 40L * 2 * EMBEDDER.model().dimension(), f16.fullRawBytes(),
                "each record costs 2·d bytes less");
        Map<String, float[]> read = vectors("f16");
        for (SourceRecord s : corpus) {
            assertArrayEquals(half(EMBEDDER.embed(s.text())), read.get(s.id()), s.id());
        }
    }

    @Test
    void anIncrementalF16VersionCarriesVectorsOverExactlyAndEveryPayloadHoldsTheSameValues() throws IOException {
        List<SourceRecord> v1 = PublisherTest.corpus(40);
        TenantFilesFormat format = new TenantFilesFormat();
        publish(VectorEncoding.F16, new CountingEmbedder(EMBEDDER), v1, "v1", null, format);
        CountingEmbedder counting = new CountingEmbedder(EMBEDDER);
        PublishResult v2 = publish(VectorEncoding.F16, counting, edited(v1), "v2", "v1", format);

        assertEquals(2, counting.texts(), "only doc-3 and doc-new: " + counting.seen());
        assertTrue(format.lastHadBase, "the native payload is built on the previous version's");
        assertEquals(2, v2.manifest().deltaFrom(1).orElseThrow().upserts());
        Map<String, float[]> before = vectors("v1");
        Map<String, float[]> after = vectors("v2");
        assertArrayEquals(before.get("doc-1"), after.get("doc-1"), "a carried-over vector round-trips exactly");
        assertArrayEquals(half(EMBEDDER.embed("A new acme document")), after.get("doc-new"));
        // The native payload holds the records payload's values, not the embedder's unrounded ones.
        List<VectorRecord> nativeRecords = TenantFilesFormat.read(dir.resolve("v2"),
                v2.manifest().nativePayload(TenantFilesFormat.KIND).orElseThrow(), EMBEDDER.model().dimension());
        assertEquals(after.size(), nativeRecords.size());
        for (VectorRecord r : nativeRecords) {
            assertArrayEquals(after.get(r.id()), r.vector(), r.id());
        }
    }

    @Test
    void switchingToF16WritesNoDeltaAndRoundsTheCarriedOverVectorsWithoutEmbeddingThem() throws IOException {
        List<SourceRecord> v1 = PublisherTest.corpus(40);
        TenantFilesFormat format = new TenantFilesFormat();
        publish(VectorEncoding.F32, new CountingEmbedder(EMBEDDER), v1, "v1", null, format);
        CountingEmbedder counting = new CountingEmbedder(EMBEDDER);
        PublishResult v2 = publish(VectorEncoding.F16, counting, edited(v1), "v2", "v1", format);

        assertEquals(2, counting.texts(), "float32 vectors round to what a new embedding would: " + counting.seen());
        assertEquals(List.of(), v2.manifest().deltas(), "a delta would leave unchanged records at their float32 values");
        assertFalse(format.lastHadBase, "nor is the native payload built on the float32 one");
        Map<String, float[]> before = vectors("v1");
        Map<String, float[]> after = vectors("v2");
        assertArrayEquals(half(before.get("doc-1")), after.get("doc-1"));
    }

    @Test
    void switchingBackToF32ReEmbedsEveryRecordSinceFloat16LostTheDigits() throws IOException {
        List<SourceRecord> v1 = PublisherTest.corpus(40);
        publish(VectorEncoding.F16, new CountingEmbedder(EMBEDDER), v1, "v1", null, null);
        CountingEmbedder counting = new CountingEmbedder(EMBEDDER);
        PublishResult v2 = publish(VectorEncoding.F32, counting, v1, "v2", "v1", null);

        assertEquals(40, counting.texts());
        assertEquals(1, v2.manifest().formatVersion());
        assertEquals(List.of(), v2.manifest().deltas());
        assertArrayEquals(EMBEDDER.embed(v1.get(1).text()), vectors("v2").get(v1.get(1).id()));
    }

    @Test
    void aComponentBeyondTheFloat16RangeIsRefusedNamingTheRecordAndNothingIsPublished() throws IOException {
        EmbeddingModel model = TestData.model(4, Similarity.DOT_PRODUCT);
        List<VectorRecord> records = List.of(
                VectorRecord.of("default", "fits", "x", Map.of(), model, new float[] {65_504f, -1f, 0.5f, 0f}),
                VectorRecord.of("default", "huge", "y", Map.of(), model, new float[] {1f, 2f, -70_000f, 0f}));
        Publisher p = Publisher.builder().signingKey(KEYS).vectorEncoding(VectorEncoding.F16).build();

        InvalidVectorException e = assertThrows(InvalidVectorException.class,
                () -> p.publishRecords(records, model, dir.resolve("out")));
        assertTrue(e.getMessage().contains("default/huge") && e.getMessage().contains("component 2")
                && e.actual().equals("-70000.0") && e.expected().contains("f32"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("out").resolve(Manifest.FILE_NAME)));
        // Float32 holds it.
        PublishResult f32 = Publisher.builder().signingKey(KEYS).build().publishRecords(records, model, dir.resolve("f32"));
        assertEquals(2, f32.manifest().records());
    }

    @Test
    void aCosineVectorThatRoundsToZeroIsRefused() {
        EmbeddingModel model = TestData.model(4, Similarity.COSINE);
        List<VectorRecord> records = List.of(VectorRecord.of("default", "tiny", "x", Map.of(), model,
                new float[] {1e-9f, -1e-9f, 1e-10f, 0f}));
        Publisher p = Publisher.builder().signingKey(KEYS).vectorEncoding(VectorEncoding.F16).build();
        InvalidVectorException e = assertThrows(InvalidVectorException.class,
                () -> p.publishRecords(records, model, dir.resolve("out")));
        assertTrue(e.getMessage().contains("default/tiny") && e.getMessage().contains("cosine"), e.getMessage());
    }
}
