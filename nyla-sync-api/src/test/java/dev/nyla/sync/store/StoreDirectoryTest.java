package dev.nyla.sync.store;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.Similarity;
import dev.nyla.sync.store.internal.StoreDirectory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store directory's files, byte for byte as the file and Lucene stores have always written them, so that
 * stores written before it existed keep opening.
 */
class StoreDirectoryTest {
    private static final Generation GENERATION = new Generation(7, 3, "v3",
            new EmbeddingModel("m", 4, Similarity.COSINE, true, "fp"), 2, Instant.parse("2024-01-02T03:04:05Z"),
            Map.of("b", "2", "a", "1"));
    /** generation.json as the stores wrote it before the store directory existed (Jackson's pretty printer). */
    private static final String GENERATION_JSON = String.join(System.lineSeparator(),
            "{",
            "  \"id\" : 7,",
            "  \"version\" : 3,",
            "  \"label\" : \"v3\",",
            "  \"committedAt\" : \"2024-01-02T03:04:05Z\",",
            "  \"recordCount\" : 2,",
            "  \"model\" : {",
            "    \"id\" : \"m\",",
            "    \"dimension\" : 4,",
            "    \"similarity\" : \"cosine\",",
            "    \"normalized\" : true,",
            "    \"fingerprint\" : \"fp\"",
            "  },",
            "  \"attributes\" : {",
            "    \"a\" : \"1\",",
            "    \"b\" : \"2\"",
            "  }",
            "}");

    @TempDir
    Path dir;

    @Test
    void pointerFilesKeepTheirBytes() throws IOException {
        try (StoreDirectory store = StoreDirectory.forWriter("file", dir)) {
            store.writeCurrent(7, List.of(6L, 5L));
            commit(store, 8);
            store.deleteGeneration(8);
            assertEquals("{\"active\":7,\"previous\":[6,5]}", Files.readString(dir.resolve("CURRENT")));
            assertEquals("8", Files.readString(dir.resolve("LAST_ID")));
            assertEquals(new StoreDirectory.Current(7, List.of(6L, 5L)), store.readCurrent());
            assertEquals(8, store.readLastId());
        }
    }

    @Test
    void pointerFilesWrittenByHandAreRead() throws IOException {
        Files.writeString(dir.resolve("CURRENT"), "{\"active\": 9, \"previous\": [8]}\n");
        Files.writeString(dir.resolve("LAST_ID"), "12\n");
        StoreDirectory reader = StoreDirectory.forReader("lucene", dir);
        assertEquals(new StoreDirectory.Current(9, List.of(8L)), reader.readCurrent());
        assertEquals(9, reader.readCurrent().highestId());
        assertEquals(12, reader.readLastId());
    }

    @Test
    void unreadablePointerIsRefusedNamingTheFile() throws IOException {
        Files.writeString(dir.resolve("CURRENT"), "{\"previous\": []}");
        StoreException e = assertThrows(StoreException.class, () -> StoreDirectory.forReader("file", dir).readCurrent());
        assertTrue(e.getMessage().contains(dir.resolve("CURRENT").toString())
                && e.getMessage().contains("no active generation id"), e.getMessage());
    }

    @Test
    void generationJsonKeepsItsBytesAndReadsBack() throws IOException {
        Files.createDirectories(dir);
        StoreDirectory.writeGenerationFile(dir, StoreDirectory.generationJson(GENERATION));
        assertEquals(GENERATION_JSON, Files.readString(dir.resolve("generation.json"), StandardCharsets.UTF_8));
        assertEquals(GENERATION, StoreDirectory.generation(StoreDirectory.readGenerationFile(dir, 7)));
    }

    @Test
    void generationJsonOfAnotherGenerationIsRefused() throws IOException {
        StoreDirectory.writeGenerationFile(dir, StoreDirectory.generationJson(GENERATION));
        StoreException e = assertThrows(StoreException.class, () -> StoreDirectory.readGenerationFile(dir, 8));
        assertTrue(e.getMessage().contains("generation id") && e.getMessage().contains("8")
                && e.getMessage().contains("7"), e.getMessage());
    }

    @Test
    void storeFieldsFollowTheCommonOnes() throws IOException {
        ObjectNode json = StoreDirectory.generationJson(GENERATION);
        json.putObject("lucene").put("codec", "Lucene104");
        StoreDirectory.writeGenerationFile(dir, json);
        String written = Files.readString(dir.resolve("generation.json"));
        assertTrue(written.indexOf("\"attributes\"") < written.indexOf("\"lucene\""), written);
        assertEquals("Lucene104", StoreDirectory.readGenerationFile(dir, 7).path("lucene").path("codec").asText());
    }

    @Test
    void writerRemovesLeftoversAndReaderChangesNothing() throws IOException {
        Path leftover = dir.resolve("tmp").resolve("g-99");
        Files.createDirectories(leftover);
        Files.writeString(leftover.resolve("half-written"), "x");
        StoreDirectory reader = StoreDirectory.forReader("file", dir);
        assertTrue(reader.readOnly());
        assertTrue(Files.exists(leftover), "a reader cleans nothing up");
        try (StoreDirectory writer = StoreDirectory.forWriter("file", dir)) {
            assertFalse(writer.readOnly());
            assertFalse(Files.exists(leftover));
            assertTrue(Files.isDirectory(writer.tmpDirectory()));
            assertTrue(Files.isDirectory(writer.generationsDirectory()));
            assertEquals("file:" + dir.toAbsolutePath().normalize(), writer.location());
        }
    }

    @Test
    @SuppressWarnings("try") // the first writer holds the lock for the block, never referenced in it
    void secondWriterIsRefusedWhileTheFirstHoldsTheLock() throws IOException {
        try (StoreDirectory first = StoreDirectory.forWriter("file", dir)) {
            StoreLockedException e = assertThrows(StoreLockedException.class,
                    () -> StoreDirectory.forWriter("file", dir));
            assertTrue(e.getMessage().contains("LOCK"), e.getMessage());
        }
        StoreDirectory.forWriter("file", dir).close();
    }

    @Test
    void generationsAreCommittedLoadedAndDeleted() throws IOException {
        try (StoreDirectory store = StoreDirectory.forWriter("file", dir)) {
            for (long id : new long[] {1, 2}) {
                commit(store, id);
            }
            Files.createDirectories(store.generationsDirectory().resolve("not-a-generation"));
            NavigableMap<Long, Generation> loaded = store.readGenerations(new StoreDirectory.Current(2, List.of(1L)),
                    (id, d) -> StoreDirectory.generation(StoreDirectory.readGenerationFile(d, id)));
            assertEquals(List.of(1L, 2L), List.copyOf(loaded.keySet()));
            store.deleteGeneration(1);
            assertFalse(Files.exists(store.generationDirectory(1)));
            assertEquals(List.of(2L), List.copyOf(store.readGenerations(new StoreDirectory.Current(2, List.of()),
                    (id, d) -> id).keySet()));
        }
    }

    @Test
    void lastIdKeepsTheIdOfADeletedGenerationOnlyWhenNoNewerDirectoryDoes() throws IOException {
        try (StoreDirectory store = StoreDirectory.forWriter("file", dir)) {
            for (long id = 1; id <= 3; id++) {
                commit(store, id);
            }
            // Committing writes no LAST_ID: the directories under generations/ keep their ids taken.
            assertEquals(0, store.readLastId());
            store.deleteGeneration(2);
            assertEquals(0, store.readLastId(), "generation 3 keeps ids up to 3 taken");
            store.deleteGeneration(3);
            assertEquals(3, store.readLastId(), "no directory keeps 3 taken any more");
            commit(store, 4);
            store.deleteGeneration(1);
            assertEquals(3, store.readLastId());
        }
    }

    private static void commit(StoreDirectory store, long id) throws IOException {
        Path work = store.workDirectory(id);
        StoreDirectory.writeGenerationFile(work, StoreDirectory.generationJson(withId(id)));
        store.commitGeneration(work, id);
    }

    @Test
    void unreadableGenerationIsSkippedUnlessItIsTheActiveOne() throws IOException {
        try (StoreDirectory store = StoreDirectory.forWriter("file", dir)) {
            Files.createDirectories(store.generationDirectory(3));
            assertTrue(store.readGenerations(new StoreDirectory.Current(0, List.of()), this::failing).isEmpty());
            StoreException e = assertThrows(StoreException.class,
                    () -> store.readGenerations(new StoreDirectory.Current(3, List.of()), this::failing));
            assertTrue(e.getMessage().contains("active generation 3 cannot be read"), e.getMessage());
            e = assertThrows(StoreException.class,
                    () -> store.readGenerations(new StoreDirectory.Current(4, List.of()), (id, d) -> id));
            assertTrue(e.getMessage().contains("names generation 4, which is missing"), e.getMessage());
        }
    }

    private Long failing(long id, Path directory) throws IOException {
        throw new IOException("damaged");
    }

    private static Generation withId(long id) {
        return new Generation(id, GENERATION.version(), GENERATION.label(), GENERATION.model(),
                GENERATION.recordCount(), GENERATION.committedAt(), GENERATION.attributes());
    }
}
