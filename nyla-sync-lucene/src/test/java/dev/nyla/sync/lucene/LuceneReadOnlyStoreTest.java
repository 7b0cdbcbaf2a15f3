package dev.nyla.sync.lucene;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.TestData;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.ReadOnlyStoreContract;
import dev.nyla.sync.store.SearchHit;
import dev.nyla.sync.store.SearchRequest;
import dev.nyla.sync.store.StoreException;
import dev.nyla.sync.store.VectorStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The Lucene store opened read-only beside its writer, plus the race only Lucene's two-step open has: the
 * writer replacing and deleting the generation between the reader's reading of CURRENT and its opening of
 * that generation's index.
 */
class LuceneReadOnlyStoreTest extends ReadOnlyStoreContract {
    @Override
    protected VectorStore openWriter(Path directory) throws IOException {
        return LuceneVectorStore.open(directory);
    }

    @Override
    protected VectorStore openReadOnly(Path directory) throws IOException {
        return LuceneVectorStore.openReadOnly(directory);
    }

    @Override
    protected String location(Path directory) {
        return "lucene:" + directory;
    }

    @Test
    void openStartsOverWhenTheWriterReplacesTheGenerationBetweenCurrentAndItsIndex() throws IOException {
        try (LuceneVectorStore writer = LuceneVectorStore.open(dir)) {
            Generation first = installAndActivate(writer, 1, TestData.records(MODEL, "t", 10, 1, Map.of("gen", "1")));
            AtomicInteger calls = new AtomicInteger();
            try (VectorStore reader = LuceneVectorStore.openReadOnly(dir, LuceneOptions.DEFAULTS, () -> {
                if (calls.incrementAndGet() == 1) {
                    // The reader has read CURRENT (generation 1); the writer moves on and deletes it.
                    installAndActivate(writer, 2, TestData.records(MODEL, "t", 4, 2, Map.of("gen", "2")));
                    writer.deleteGeneration(first.id());
                }
            })) {
                assertEquals(2, calls.get(), "one attempt on the deleted generation, one on the new");
                assertEquals(2, reader.activeGeneration().orElseThrow().version());
                List<SearchHit> hits = reader.search(SearchRequest.of("t", QUERY, 20));
                assertEquals(4, hits.size());
                assertTrue(hits.stream().allMatch(h -> h.metadata().get("gen").equals("2")));
            }
            assertFalse(Files.exists(dir.resolve("generations").resolve("g-" + first.id())),
                    "the reader must not bring back the deleted generation's directory");
        }
    }

    @Test
    void openGivesUpNamingTheStoreWhenTheWriterKeepsReplacingTheGeneration() throws IOException {
        try (LuceneVectorStore writer = LuceneVectorStore.open(dir)) {
            installAndActivate(writer, 1, TestData.records(MODEL, "t", 3, 1, Map.of()));
            AtomicInteger version = new AtomicInteger(1);
            StoreException e = assertThrows(StoreException.class, () -> LuceneVectorStore.openReadOnly(dir,
                    LuceneOptions.DEFAULTS, () -> {
                        long old = writer.activeGeneration().orElseThrow().id();
                        installAndActivate(writer, version.incrementAndGet(), TestData.records(MODEL, "t", 3, 2, Map.of()));
                        writer.deleteGeneration(old);
                    }));
            assertTrue(e.getMessage().contains("lucene:" + dir.toAbsolutePath())
                    && e.getMessage().contains("changed 5 times") && e.getMessage().contains("try again"), e.getMessage());
        }
    }

    @Test
    void lucenesReaderOpensWithoutTheWritersLockFileOrAnIndexWriterLock() throws IOException {
        try (LuceneVectorStore writer = LuceneVectorStore.open(dir)) {
            Generation g = installAndActivate(writer, 1, TestData.records(MODEL, "t", 10, 1, Map.of()));
            // A mutation leaves the writer's IndexWriter open on the active generation, holding write.lock.
            writer.upsert(TestData.records(MODEL, "t", 1, 5, Map.of()));
            try (VectorStore reader = LuceneVectorStore.openReadOnly(dir)) {
                assertEquals(g.id(), reader.activeGeneration().orElseThrow().id());
                assertEquals(10, reader.stats().records(), "the committed mutation replaced doc-00000");
            }
        }
    }
}
