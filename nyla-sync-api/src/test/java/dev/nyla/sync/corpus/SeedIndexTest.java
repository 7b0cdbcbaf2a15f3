package dev.nyla.sync.corpus;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.DimensionMismatchException;
import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.InvalidVectorException;
import dev.nyla.sync.Similarity;
import dev.nyla.sync.TestData;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.MalformedArtifactException;
import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.publish.PublishResult;
import dev.nyla.sync.publish.Publisher;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SeedIndexTest {
    private static final EmbeddingModel MODEL = TestData.model(3, Similarity.COSINE);

    @TempDir
    Path dir;

    private static final String SEED = """
            {"version": "1.2.3", "embeddingModel": "all-MiniLM-L6-v2", "chunkCount": 2,
             "chunks": [
               {"id": "faq-1", "text": "How do I install?", "embedding": [0.1, 0.2, 0.3],
                "metadata": {"title": "Install", "section": 4, "tags": ["a"]}},
               {"id": 2, "content": "Older chunks used content", "embedding": [1, 0, -1e-3]}
             ],
             "buildTime": "2024-01-15T10:30:00.000Z"}
            """;

    @Test
    void readsChunksFromPlainAndGzippedJsonAlike() throws IOException {
        Path plain = Files.writeString(dir.resolve("index.json"), SEED);
        Path gz = dir.resolve("index.json.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
            out.write(SEED.getBytes(StandardCharsets.UTF_8));
        }
        List<VectorRecord> records = SeedIndex.read(plain, MODEL, "default");
        assertEquals(records, SeedIndex.read(gz, MODEL, "default"));
        assertEquals(2, records.size());
        VectorRecord first = records.get(0);
        assertEquals("faq-1", first.id());
        assertEquals(Map.of("title", "Install", "section", "4", "tags", "[\"a\"]"), first.metadata());
        assertArrayEquals(new float[] {0.1f, 0.2f, 0.3f}, first.vector());
        assertEquals("2", records.get(1).id());
        assertEquals("Older chunks used content", records.get(1).text());
    }

    @Test
    void anImportedIndexPublishesAsASignedArtifact() throws IOException {
        Path plain = Files.writeString(dir.resolve("index.json"), SEED);
        List<VectorRecord> records = SeedIndex.read(plain, MODEL, "default");
        PublishResult r = Publisher.builder().signingKey(SigningKeys.generate()).build()
                .publishRecords(records, MODEL, dir.resolve("out"));
        assertEquals(2, r.manifest().records());
        assertEquals(2, r.added());
    }

    @Test
    void javascriptNaNWrittenAsNullIsRefusedNamingTheChunk() throws IOException {
        Path f = Files.writeString(dir.resolve("nan.json"), SEED.replace("[0.1, 0.2, 0.3]", "[0.1, null, 0.3]"));
        MalformedArtifactException e = assertThrows(MalformedArtifactException.class, () -> SeedIndex.read(f, MODEL, "default"));
        assertTrue(e.getMessage().contains("chunks[0]") && e.getMessage().contains("embedding[1]"), e.getMessage());
        assertTrue(e.getMessage().contains("NaN"), e.getMessage());
    }

    @Test
    void anOverflowingNumberIsAnInvalidVector() throws IOException {
        Path f = Files.writeString(dir.resolve("inf.json"), SEED.replace("[0.1, 0.2, 0.3]", "[0.1, 1e39, 0.3]"));
        InvalidVectorException e = assertThrows(InvalidVectorException.class, () -> SeedIndex.read(f, MODEL, "default"));
        assertEquals("Infinity", e.actual());
    }

    @Test
    void aDimensionThatDisagreesWithTheModelIsRefused() throws IOException {
        Path f = Files.writeString(dir.resolve("dim.json"), SEED.replace("[0.1, 0.2, 0.3]", "[0.1, 0.2]"));
        DimensionMismatchException e = assertThrows(DimensionMismatchException.class, () -> SeedIndex.read(f, MODEL, "default"));
        assertEquals("3", e.expected());
        assertEquals("2", e.actual());
        assertTrue(e.getMessage().contains("faq-1"), e.getMessage());
    }

    @Test
    void malformedAndIncompleteFilesAreRefused() throws IOException {
        String[][] cases = {
                {"{\"chunks\": [ {\"id\": \"a\", ", "not valid JSON"},
                {"{\"version\": 1}", "field chunks"},
                {"[]", "top level"},
                {"{\"chunks\": [{\"text\": \"x\", \"embedding\": [1,2,3]}]}", "field id"},
                {"{\"chunks\": [{\"id\": \"x\", \"embedding\": [1,2,3]}]}", "field text"},
                {"{\"chunks\": [{\"id\": \"x\", \"text\": \"t\"}]}", "field embedding"},
                {"{\"chunks\": [{\"id\": \"x\", \"text\": \"t\", \"embedding\": [1,2,3]}, {\"id\": \"x\", \"text\": \"u\", \"embedding\": [1,2,3]}]}", "duplicate"},
        };
        for (String[] c : cases) {
            Path f = Files.writeString(dir.resolve("bad.json"), c[0]);
            MalformedArtifactException e = assertThrows(MalformedArtifactException.class,
                    () -> SeedIndex.read(f, MODEL, "default"), c[0]);
            assertTrue(e.getMessage().contains(c[1]), e.getMessage());
        }
        Path truncatedGz = dir.resolve("t.json.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(truncatedGz))) {
            out.write(SEED.getBytes(StandardCharsets.UTF_8));
        }
        byte[] bytes = Files.readAllBytes(truncatedGz);
        Files.write(truncatedGz, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        assertThrows(MalformedArtifactException.class, () -> SeedIndex.read(truncatedGz, MODEL, "default"));
    }
}
