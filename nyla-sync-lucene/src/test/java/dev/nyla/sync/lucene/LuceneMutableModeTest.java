package dev.nyla.sync.lucene;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.Similarity;
import dev.nyla.sync.TestData;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.store.GenerationSpec;
import dev.nyla.sync.store.GenerationWriter;
import dev.nyla.sync.store.SearchHit;
import dev.nyla.sync.store.SearchRequest;
import dev.nyla.sync.store.WriteResult;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Mutable mode over a whole session: each mutation commits and is searchable, however many came before. */
class LuceneMutableModeTest {
    private static final EmbeddingModel MODEL = TestData.model(8, Similarity.COSINE);

    @TempDir
    Path dir;

    @Test
    void everyMutationOfASessionCommitsAndIsSearchable() throws IOException {
        List<VectorRecord> records = TestData.records(MODEL, "t", 20, 1, Map.of());
        try (LuceneVectorStore store = LuceneVectorStore.open(dir)) {
            try (GenerationWriter w = store.newGeneration(GenerationSpec.of(1, "", MODEL))) {
                for (VectorRecord r : records) {
                    w.add(r);
                }
                store.activate(w.commit().id());
            }
            for (int i = 0; i < 3; i++) {
                VectorRecord changed = VectorRecord.of("t", records.get(i).id(), "changed " + i, Map.of(), MODEL,
                        TestData.unitVector(new Random(100 + i), MODEL.dimension()));

                assertEquals(WriteResult.upserted(0, 1), store.upsert(List.of(changed)), "upsert " + (i + 1));

                SearchHit top = store.search(SearchRequest.of("t", changed.vector(), 1)).get(0);
                assertEquals(changed.text(), top.text(), "after upsert " + (i + 1));
            }
            assertEquals(WriteResult.deleted(1, 0), store.delete("t", List.of(records.get(19).id())));
            assertEquals(19, store.stats().records());
        }
    }

    @Test
    void aRefusedBatchLeavesNothingBehindForTheNextOneToCommit() throws IOException {
        List<VectorRecord> records = TestData.records(MODEL, "t", 10, 2, Map.of());
        try (LuceneVectorStore store = LuceneVectorStore.open(dir)) {
            try (GenerationWriter w = store.newGeneration(GenerationSpec.of(1, "", MODEL))) {
                for (VectorRecord r : records) {
                    w.add(r);
                }
                store.activate(w.commit().id());
            }
            // The third id is invalid: the whole delete is refused, including the two valid ids before it.
            assertThrows(IllegalArgumentException.class,
                    () -> store.delete("t", List.of(records.get(0).id(), records.get(1).id(), "")));
            VectorRecord added = VectorRecord.of("t", "new", "new", Map.of(), MODEL,
                    TestData.unitVector(new Random(5), MODEL.dimension()));
            assertEquals(WriteResult.upserted(1, 0), store.upsert(List.of(added)));
            assertEquals(11, store.stats().records(), "the refused deletions were not committed with the upsert");
        }
    }

    @Test
    void modelsWithMoreDimensionsThanLucenesDefaultLimitAreStoredAndSearched() throws IOException {
        EmbeddingModel wide = TestData.model(1536, Similarity.COSINE);
        List<VectorRecord> records = TestData.records(wide, "t", 30, 3, Map.of());
        try (LuceneVectorStore store = LuceneVectorStore.open(dir, LuceneOptions.DEFAULTS.withExactSearchThreshold(0))) {
            try (GenerationWriter w = store.newGeneration(GenerationSpec.of(1, "", wide))) {
                for (VectorRecord r : records.stream().sorted((a, b) -> a.id().compareTo(b.id())).toList()) {
                    w.add(r);
                }
                store.activate(w.commit().id());
            }
            VectorRecord probe = records.get(7);
            assertEquals(probe.id(), store.search(SearchRequest.of("t", probe.vector(), 1)).get(0).id());
            VectorRecord changed = VectorRecord.of("t", probe.id(), "changed", Map.of(), wide,
                    TestData.unitVector(new Random(9), wide.dimension()));
            assertEquals(WriteResult.upserted(0, 1), store.upsert(List.of(changed)));
            assertEquals("changed", store.search(SearchRequest.of("t", changed.vector(), 1)).get(0).text());
        }
    }

    @Test
    void equalScoresAreOrderedByIdEvenWhenUpdatesMovedSomeRecordsToANewerSegment() throws IOException {
        float[] same = TestData.unitVector(new Random(3), MODEL.dimension());
        List<VectorRecord> records = new java.util.ArrayList<>();
        for (char c = 'a'; c <= 't'; c++) {
            records.add(VectorRecord.of("t", String.valueOf(c), "v1", Map.of(), MODEL, same));
        }
        try (LuceneVectorStore store = LuceneVectorStore.open(dir)) {
            try (GenerationWriter w = store.newGeneration(GenerationSpec.of(1, "", MODEL))) {
                for (VectorRecord r : records) {
                    w.add(r);
                }
                store.activate(w.commit().id());
            }
            // a..j are rewritten: their documents now sit after k..t in doc id order.
            assertEquals(WriteResult.upserted(0, 10), store.upsert(records.subList(0, 10).stream()
                    .map(r -> VectorRecord.of("t", r.id(), "v2", Map.of(), MODEL, same)).toList()));
            List<String> top = store.search(SearchRequest.of("t", same, 3)).stream().map(SearchHit::id).toList();
            assertEquals(List.of("a", "b", "c"), top);
        }
    }
}
