package dev.nyla.sync.lucene;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.RecordKeys;
import dev.nyla.sync.Similarity;
import dev.nyla.sync.TestData;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.store.GenerationSpec;
import dev.nyla.sync.store.GenerationWriter;
import dev.nyla.sync.store.SearchHit;
import dev.nyla.sync.store.SearchRequest;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Recall@10 of HNSW search against exact search on clustered data, for each quantization, with and
 * without over-fetching. Speed is measured by the JMH benchmarks, not here; this pins the quality.
 */
class QuantizedRecallTest {
    private static final Logger LOG = LoggerFactory.getLogger(QuantizedRecallTest.class);
    private static final int DIM = 64;
    private static final int RECORDS = 10_000;
    private static final int QUERIES = 200;
    private static final EmbeddingModel MODEL = TestData.model(DIM, Similarity.COSINE);

    @TempDir
    Path dir;

    @Test
    void recallAtTenStaysHighForEveryQuantizationAndOverFetchingRaisesIt() throws IOException {
        // Queries come from the same clusters as the records, as real questions resemble the documents.
        List<float[]> vectors = ClusteredVectors.vectors(RECORDS + QUERIES, DIM, 50, 0.6, 11);
        List<VectorRecord> records = ClusteredVectors.records(MODEL, vectors.subList(0, RECORDS), 1);
        List<float[]> queries = vectors.subList(RECORDS, RECORDS + QUERIES);
        List<Set<String>> exact = queries.stream().map(q -> exactTop10(records, q)).toList();
        StringBuilder report = new StringBuilder("recall@10 vs exact, " + RECORDS + " x " + DIM + " clustered:");
        for (Quantization quantization : Quantization.values()) {
            double[] recall = new double[2];
            int[] overFetch = {1, 4};
            for (int i = 0; i < overFetch.length; i++) {
                LuceneOptions options = LuceneOptions.DEFAULTS.withQuantization(quantization)
                        .withOverFetch(overFetch[i]).withExactSearchThreshold(0);
                try (LuceneVectorStore store = LuceneVectorStore.open(dir.resolve(quantization + "-" + i), options)) {
                    try (GenerationWriter w = store.newGeneration(GenerationSpec.of(1, "v1", MODEL))) {
                        for (VectorRecord r : records) {
                            w.add(r);
                        }
                        store.activate(w.commit().id());
                    }
                    recall[i] = recall(store, queries, exact);
                }
            }
            report.append(String.format(" %s %.3f (over-fetch 1) %.3f (over-fetch 4);", quantization.wireName(),
                    recall[0], recall[1]));
            double floor = 0.95;
            assertTrue(recall[1] >= floor, quantization + " with over-fetch 4: recall " + recall[1] + " < " + floor);
            assertTrue(recall[1] >= recall[0], quantization + ": over-fetching lowered recall");
        }
        LOG.info(report.toString());
    }

    private static double recall(LuceneVectorStore store, List<float[]> queries, List<Set<String>> exact)
            throws IOException {
        long found = 0;
        for (int q = 0; q < queries.size(); q++) {
            for (SearchHit h : store.search(SearchRequest.of("t0", queries.get(q), 10))) {
                if (exact.get(q).contains(h.id())) {
                    found++;
                }
            }
        }
        return found / (10.0 * queries.size());
    }

    private static Set<String> exactTop10(List<VectorRecord> records, float[] query) {
        return new HashSet<>(records.stream()
                .sorted(Comparator.<VectorRecord>comparingDouble(r -> -MODEL.similarity().score(query, r.vector()))
                        .thenComparing(VectorRecord::id, RecordKeys.ORDER))
                .limit(10).map(VectorRecord::id).toList());
    }
}
