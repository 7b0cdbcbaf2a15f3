package dev.nyla.sync.djl;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.metric.Metrics;
import dev.nyla.sync.Similarity;
import dev.nyla.sync.embed.EmbeddingException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real all-MiniLM-L6-v2 on ONNX Runtime, loaded offline from the jar on the class path. */
class DjlEmbedderTest {
    static final Path CACHE = Path.of("target", "djl-cache");
    private static DjlEmbedder embedder;

    @TempDir
    Path dir;

    @BeforeAll
    static void load() throws IOException {
        embedder = DjlEmbedder.builder().cacheDirectory(CACHE).build();
    }

    @AfterAll
    static void close() {
        embedder.close();
    }

    static double cosine(float[] a, float[] b) {
        return Similarity.COSINE.score(a, b);
    }

    @Test
    void theQuantizedModelIsAnotherModelWithNearbyVectorsThatTheModelGuardRefuses() throws IOException {
        try (DjlEmbedder int8 = DjlEmbedder.builder().cacheDirectory(CACHE).quantized(true).build()) {
            assertEquals("all-MiniLM-L6-v2-q", int8.model().id());
            assertEquals(embedder.model().dimension(), int8.model().dimension());
            assertNotEquals(embedder.model().fingerprint(), int8.model().fingerprint());
            assertFalse(int8.model().isCompatibleWith(embedder.model()), "a float client must refuse int8 artifacts");
            assertFalse(embedder.model().isCompatibleWith(int8.model()));
            String text = "How do I install a new knowledge base?";
            double cos = cosine(embedder.embed(text), int8.embed(text));
            assertTrue(cos > 0.9 && cos < 0.99999, "int8 weights move the vector a little: cos " + cos);
        }
    }

    @Test
    void textsOfMixedLengthsInOneCallEachGetTheirOwnVector() throws IOException {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            texts.add("Note " + i + ": " + "the knowledge base syncs its vectors. ".repeat((i * 7) % 11));
        }
        List<float[]> together = embedder.embed(texts);
        for (int i = 0; i < texts.size(); i++) {
            assertTrue(cosine(embedder.embed(texts.get(i)), together.get(i)) > 0.9999, "text " + i);
        }
    }

    @Test
    void aBatchIsOneModelCallPerLengthGroupNotOnePerText() throws IOException {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            texts.add("Note " + (10 + i) + ": the knowledge base syncs its vectors.");
        }
        for (int i = 0; i < 8; i++) {
            texts.add("Long note " + (10 + i) + ": " + "the knowledge base syncs its vectors. ".repeat(12));
        }
        Metrics metrics = new Metrics();
        embedder.recordMetrics(metrics);
        List<float[]> vectors;
        try {
            vectors = embedder.embed(texts);
        } finally {
            embedder.recordMetrics(null);
        }
        // 32 texts of one length fill one call (the default batch size); the 8 long ones make a second.
        assertEquals(2, metrics.getMetric("Inference").size(), "model calls for 32 short and 8 long texts");
        for (int i : new int[] {0, 31, 32, 39}) {
            assertTrue(cosine(embedder.embed(texts.get(i)), vectors.get(i)) > 0.9999, "text " + i + " keeps its place");
        }
    }

    @Test
    void theBundledModelIsMiniLmWith384UnitVectorsAndAFileFingerprint() throws IOException {
        assertEquals("all-MiniLM-L6-v2", embedder.model().id());
        assertEquals(384, embedder.model().dimension());
        assertEquals(Similarity.COSINE, embedder.model().similarity());
        assertTrue(embedder.model().normalized());
        assertTrue(embedder.model().fingerprint().matches("sha256:[0-9a-f]{64}"), embedder.model().fingerprint());
        float[] v = embedder.embed("How do I install a new knowledge base?");
        double norm = 0;
        for (float f : v) {
            norm += f * f;
        }
        assertEquals(1.0, Math.sqrt(norm), 1e-4);
    }

    @Test
    void closeSentencesScoreClearlyHigherThanUnrelatedOnes() throws IOException {
        List<float[]> v = embedder.embed(List.of("How do I install a new knowledge base?",
                "Steps to update the knowledge base", "Bananas are yellow"));
        double related = cosine(v.get(0), v.get(1));
        double unrelated = cosine(v.get(0), v.get(2));
        assertTrue(related > 0.6, "related " + related);
        assertTrue(unrelated < 0.2, "unrelated " + unrelated);
        assertTrue(related - unrelated > 0.5, related + " vs " + unrelated);
    }

    @Test
    void batchAndSingleEmbeddingsAgreeAndRepeatExactly() throws IOException {
        List<String> texts = List.of("short", "a somewhat longer sentence about vector stores and their generations",
                "padding must not change the embedding of the short one", "é ü 日本語 ✓");
        List<float[]> batch = embedder.embed(texts);
        for (int i = 0; i < texts.size(); i++) {
            float[] single = embedder.embed(texts.get(i));
            assertEquals(1.0, cosine(batch.get(i), single), 1e-5, texts.get(i));
        }
        List<float[]> again = embedder.embed(texts);
        for (int i = 0; i < texts.size(); i++) {
            assertArrayEquals(batch.get(i), again.get(i), texts.get(i));
        }
    }

    @Test
    void batchesLargerThanTheBatchSizeKeepTheirOrder() throws IOException {
        try (DjlEmbedder small = DjlEmbedder.builder().cacheDirectory(CACHE).batchSize(3).build()) {
            assertEquals(embedder.model(), small.model(), "same files, same identity");
            List<String> texts = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                texts.add("sentence number " + i + " about topic " + (i % 3));
            }
            List<float[]> a = small.embed(texts);
            List<float[]> b = embedder.embed(texts);
            for (int i = 0; i < texts.size(); i++) {
                assertEquals(1.0, cosine(a.get(i), b.get(i)), 1e-5);
            }
        }
    }

    @Test
    void concurrentCallsFromSeveralThreadsGetTheSameResults() throws Exception {
        List<String> texts = List.of("alpha beta", "gamma delta epsilon", "the quick brown fox");
        List<float[]> expected = embedder.embed(texts);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<List<float[]>>> futures = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                futures.add(pool.submit((Callable<List<float[]>>) () -> embedder.embed(texts)));
            }
            for (Future<List<float[]>> f : futures) {
                List<float[]> got = f.get();
                for (int i = 0; i < texts.size(); i++) {
                    assertArrayEquals(expected.get(i), got.get(i));
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aMissingTokenizerIsNamedInTheError() throws IOException {
        Path model = Files.createDirectories(dir.resolve("my-model"));
        Files.copy(CACHE.resolve("nyla-models/all-minilm-l6-v2/model.onnx"), model.resolve("model.onnx"));
        EmbeddingException e = assertThrows(EmbeddingException.class,
                () -> DjlEmbedder.builder().cacheDirectory(CACHE).modelDirectory(model).build());
        assertTrue(e.getMessage().contains("tokenizer.json"), e.getMessage());
    }

    @Test
    void aCorruptModelFileIsNamedInTheError() throws IOException {
        Path model = Files.createDirectories(dir.resolve("broken"));
        Files.write(model.resolve("model.onnx"), new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        Files.copy(CACHE.resolve("nyla-models/all-minilm-l6-v2/tokenizer.json"), model.resolve("tokenizer.json"));
        EmbeddingException e = assertThrows(EmbeddingException.class,
                () -> DjlEmbedder.builder().cacheDirectory(CACHE).modelDirectory(model).build());
        assertTrue(e.getMessage().contains("model.onnx"), e.getMessage());
    }

    @Test
    void aDirectoryWithoutAModelFileSaysWhatItExpected() throws IOException {
        Path model = Files.createDirectories(dir.resolve("empty"));
        Files.writeString(model.resolve("tokenizer.json"), "{}");
        EmbeddingException e = assertThrows(EmbeddingException.class,
                () -> DjlEmbedder.builder().cacheDirectory(CACHE).modelDirectory(model).build());
        assertTrue(e.getMessage().contains("*.onnx"), e.getMessage());
        assertThrows(EmbeddingException.class,
                () -> DjlEmbedder.builder().cacheDirectory(CACHE).modelDirectory(dir.resolve("nope")).build());
    }

    @Test
    void aLocalCopyOfTheModelHasTheSameFingerprintAndAnEditedTokenizerAnother() throws IOException {
        Path copy = Files.createDirectories(dir.resolve("minilm-copy"));
        Files.copy(CACHE.resolve("nyla-models/all-minilm-l6-v2/model.onnx"), copy.resolve("model.onnx"));
        Path tokenizer = copy.resolve("tokenizer.json");
        Files.copy(CACHE.resolve("nyla-models/all-minilm-l6-v2/tokenizer.json"), tokenizer);
        try (DjlEmbedder local = DjlEmbedder.builder().cacheDirectory(CACHE).modelDirectory(copy).build()) {
            assertEquals("minilm-copy", local.model().id());
            assertEquals(embedder.model().fingerprint(), local.model().fingerprint());
        }
        Files.writeString(tokenizer, Files.readString(tokenizer) + " ");
        assertNotEquals(embedder.model().fingerprint(), ModelFiles.inDirectory(copy, false).fingerprint());
    }

    @Test
    void aClosedEmbedderRefusesWork() throws IOException {
        DjlEmbedder e = DjlEmbedder.builder().cacheDirectory(CACHE).build();
        e.close();
        assertThrows(EmbeddingException.class, () -> e.embed("x"));
    }
}
