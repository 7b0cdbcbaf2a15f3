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
}
