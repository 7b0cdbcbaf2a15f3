package dev.nyla.sync.jdbc;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.RecordKeys;
import dev.nyla.sync.Similarity;
import dev.nyla.sync.TestData;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.GenerationSpec;
import dev.nyla.sync.store.GenerationWriter;
import dev.nyla.sync.store.SearchHit;
import dev.nyla.sync.store.SearchRequest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** pgvector specifics, on the PGlite socket server: HNSW indexes, distance operators, iterative scans. */
class PgvectorTest {
    private static final int DIM = 24;
    private final String prefix = TestDatabases.uniquePrefix();
    private DataSource ds;
    private final List<JdbcVectorStore> stores = new ArrayList<>();

    @BeforeEach
    void connect() {
        ds = TestDatabases.pgvector();
    }

    @AfterEach
    void cleanUp() throws SQLException {
        stores.forEach(JdbcVectorStore::close);
        if (ds != null) {
            TestDatabases.dropStore(ds, prefix);
        }
    }

    private JdbcVectorStore open(JdbcOptions options) throws IOException {
        JdbcVectorStore s = JdbcVectorStore.open(ds, options.withTablePrefix(prefix));
        stores.add(s);
        return s;
    }

    /** Records around 20 cluster centres, so that nearest neighbours are meaningful (as with real embeddings). */
    private static List<VectorRecord> clustered(EmbeddingModel model, String tenant, int n, long seed,
                                                java.util.function.IntFunction<Map<String, String>> metadata) {
        Random random = new Random(seed);
        List<float[]> centres = new ArrayList<>();
        for (int c = 0; c < 20; c++) {
            centres.add(TestData.unitVector(random, model.dimension()));
        }
        List<VectorRecord> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            float[] centre = centres.get(random.nextInt(centres.size()));
            float[] v = new float[model.dimension()];
            for (int d = 0; d < v.length; d++) {
                v[d] = centre[d] + (float) random.nextGaussian() * 0.15f;
            }
            out.add(VectorRecord.of(tenant, String.format("doc-%05d", i), "text " + i, metadata.apply(i), model, v));
        }
        return out;
    }

    private static Generation install(JdbcVectorStore store, EmbeddingModel model, List<VectorRecord> records)
            throws IOException {
        try (GenerationWriter w = store.newGeneration(GenerationSpec.of(1, "v1", model))) {
            for (VectorRecord r : records.stream().sorted((a, b) -> RecordKeys.compare(a.tenant(), a.id(), b.tenant(),
                    b.id())).toList()) {
                w.add(r);
            }
            Generation g = w.commit();
            store.activate(g.id());
            return g;
        }
    }

    private static List<String> exact(EmbeddingModel model, List<VectorRecord> records, float[] q, int k) {
        return records.stream()
                .sorted(Comparator.<VectorRecord>comparingDouble(r -> -model.similarity().score(q, r.vector()))
                        .thenComparing(VectorRecord::id, RecordKeys.ORDER))
                .limit(k).map(VectorRecord::id).toList();
    }

    /** Whether the store's query for {@code request} walks generation {@code g}'s HNSW index (by its plan). */
    private boolean walksIndex(JdbcVectorStore store, Generation g, SearchRequest request) throws IOException {
        List<String> plan = store.explainSearch(request);
        assertFalse(plan.isEmpty(), "a plan");
        return String.join("\n", plan).contains(prefix + "_g" + g.id() + "_hnsw");
    }

    @ParameterizedTest
    @EnumSource(Similarity.class)
    void largeTenantsAreSearchedThroughTheHnswIndexWithHighRecall(Similarity similarity) throws Exception {
        EmbeddingModel model = TestData.model(DIM, similarity);
        // ef_search ≈ the 42 candidates: on this small table a larger one makes the planner prefer an exact sort.
        JdbcVectorStore store = open(JdbcOptions.DEFAULTS.withExactSearchThreshold(100).withSearch(4, 10));
        assertEquals(JdbcDialect.PGVECTOR, store.dialect(), "detected from the installed extension");
        List<VectorRecord> records = clustered(model, "big", 1_500, 7, i -> Map.of());
        Generation g = install(store, model, records);
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT indexdef FROM pg_indexes WHERE indexname = ?")) {
            ps.setString(1, prefix + "_g" + g.id() + "_hnsw");
            try (ResultSet rs = ps.executeQuery()) {
                assertTrue(rs.next(), "an HNSW index was built for the generation");
                assertTrue(rs.getString(1).contains("hnsw") && rs.getString(1).contains(PostgresDialect.operatorClass(model)),
                        rs.getString(1));
            }
        }
        assertTrue(walksIndex(store, g, SearchRequest.of("big", records.get(0).vector(), 10)));
        Random random = new Random(5);
        int found = 0;
        int queries = 30;
        for (int q = 0; q < queries; q++) {
            float[] query = records.get(random.nextInt(records.size())).vector();
            List<SearchHit> hits = store.search(SearchRequest.of("big", query, 10));
            assertEquals(10, hits.size());
            Set<String> truth = new HashSet<>(exact(model, records, query, 10));
            found += (int) hits.stream().filter(h -> truth.contains(h.id())).count();
            for (int i = 1; i < hits.size(); i++) {
                assertTrue(hits.get(i - 1).score() >= hits.get(i).score(), "re-scored hits are best first");
            }
            VectorRecord top = records.stream().filter(r -> r.id().equals(hits.get(0).id())).findFirst().orElseThrow();
            assertEquals(similarity.score(query, top.vector()), hits.get(0).score(), 1e-5, "scores on the API's scale");
        }
        double recall = found / (10.0 * queries);
        assertTrue(recall >= 0.9, "recall@10 through HNSW: " + recall);
    }

    @Test
    void aFilterStillYieldsKHitsThroughIterativeScans() throws Exception {
        EmbeddingModel model = TestData.model(DIM, Similarity.COSINE);
        JdbcVectorStore store = open(JdbcOptions.DEFAULTS.withExactSearchThreshold(0).withSearch(1, 10));
        // A fifth of the records carry lang=de: an index walk that stopped at ef_search (42 here) would find
        // about 8 of them. (A much rarer filter makes the planner sort the matching rows exactly instead.)
        List<VectorRecord> records = clustered(model, "t", 12_000, 11, i -> Map.of("lang", i % 5 == 0 ? "de" : "en"));
        Generation g = install(store, model, records);
        List<VectorRecord> german = records.stream().filter(r -> r.metadata().get("lang").equals("de")).toList();
        assertTrue(walksIndex(store, g, SearchRequest.of("t", records.get(0).vector(), 10)
                .withFilter(Map.of("lang", "de"))));
        Random random = new Random(2);
        int found = 0;
        for (int q = 0; q < 10; q++) {
            float[] query = records.get(random.nextInt(records.size())).vector();
            List<SearchHit> hits = store.search(SearchRequest.of("t", query, 10).withFilter(Map.of("lang", "de")));
            assertEquals(10, hits.size(), "iterative scan kept walking until 10 rows passed the filter");
            assertTrue(hits.stream().allMatch(h -> h.metadata().get("lang").equals("de")));
            Set<String> truth = new HashSet<>(exact(model, german, query, 10));
            found += (int) hits.stream().filter(h -> truth.contains(h.id())).count();
        }
        assertTrue(found / 100.0 >= 0.8, "filtered recall@10: " + found / 100.0);
    }

    @Test
    void smallTenantsAreSearchedExactlyWithoutTheIndex() throws Exception {
        EmbeddingModel model = TestData.model(DIM, Similarity.COSINE);
        JdbcVectorStore store = open(JdbcOptions.DEFAULTS.withExactSearchThreshold(2_000));
        List<VectorRecord> records = new ArrayList<>(clustered(model, "small", 300, 3, i -> Map.of()));
        // An all-zero vector: pgvector's cosine distance is NaN for it, the API's cosine score 0.
        records.add(VectorRecord.of("small", "zero", "zero", Map.of(), model, new float[DIM]));
        Generation g = install(store, model, records);
        assertFalse(walksIndex(store, g, SearchRequest.of("small", records.get(0).vector(), 10)),
                "a tenant under the threshold is sorted exactly");
        Random random = new Random(8);
        for (int q = 0; q < 10; q++) {
            float[] query = TestData.unitVector(random, DIM);
            List<String> hits = store.search(SearchRequest.of("small", query, 301)).stream().map(SearchHit::id).toList();
            assertEquals(exact(model, records, query, 301), hits);
        }
    }

    @Test
    void equalScoresBeyondTheCandidateCountAreBrokenByIdLikeEveryStore() throws Exception {
        EmbeddingModel model = TestData.model(DIM, Similarity.COSINE);
        JdbcVectorStore store = open(JdbcOptions.DEFAULTS);
        float[] same = TestData.unitVector(new Random(4), DIM);
        List<VectorRecord> records = new ArrayList<>();
        for (int i = 0; i < 80; i++) { // more ties than the k + 32 candidates the database returns
            records.add(VectorRecord.of("t", String.format("id-%03d", 79 - i), "same", Map.of(), model, same.clone()));
        }
        install(store, model, records);
        assertEquals(List.of("id-000", "id-001", "id-002", "id-003", "id-004"),
                store.search(SearchRequest.of("t", same, 5)).stream().map(SearchHit::id).toList());
    }

    @Test
    void dimensionsBeyondTheIndexLimitAreStoredAndSearchedExactly() throws Exception {
        EmbeddingModel model = TestData.model(PostgresDialect.HNSW_MAX_DIMENSION + 48, Similarity.DOT_PRODUCT);
        JdbcVectorStore store = open(JdbcOptions.DEFAULTS.withExactSearchThreshold(0));
        List<VectorRecord> records = TestData.records(model, "t", 40, 4, Map.of());
        Generation g = install(store, model, records);
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT count(*) FROM pg_indexes WHERE indexname = ?")) {
            ps.setString(1, prefix + "_g" + g.id() + "_hnsw");
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                assertEquals(0, rs.getInt(1), "pgvector indexes at most 2,000 dimensions");
            }
        }
        float[] query = TestData.unitVector(new Random(1), model.dimension());
        assertEquals(exact(model, records, query, 5),
                store.search(SearchRequest.of("t", query, 5)).stream().map(SearchHit::id).toList());
    }

    @Test
    void theBinaryCopyEncodingIsPgvectorsOwn() throws Exception {
        float[] v = {1.5f, -2.0e-5f, 0f, Float.MIN_VALUE, 3.4028235e38f, -0f};
        ByteBuffer ours = ByteBuffer.allocate(4 + 4 * v.length);
        Codec.pgvectorBinary(v, ours);
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT vector_send(CAST(? AS vector))")) {
            ps.setString(1, Codec.pgvectorText(v));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                assertArrayEquals(rs.getBytes(1), ours.array(), "COPY BINARY rows carry vector_send's bytes");
            }
        }
    }
}
