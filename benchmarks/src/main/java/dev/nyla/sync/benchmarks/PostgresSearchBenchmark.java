package dev.nyla.sync.benchmarks;

import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.Similarity;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.GenerationSpec;
import dev.nyla.sync.store.GenerationWriter;
import dev.nyla.sync.store.SearchHit;
import dev.nyla.sync.store.SearchRequest;
import dev.nyla.sync.store.VectorStore;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Top-10 search of one tenant in the JDBC store, one thread: pgvector's HNSW index (iterative index scan
 * filtered by tenant, candidates re-scored exactly) against plain PostgreSQL's exact search (the tenant's
 * rows read through the primary key and scored in the JVM). {@code tenants} tenants of
 * {@code perTenant} clustered vectors × 384 each; queries go to the tenants in turn. Each trial reports
 * {@code recall@10} against the exact top 10 of the tenant, computed here.
 *
 * <p>Both open their store by {@code jdbc:} location, so searches borrow connections from the JDBC adapter's
 * pool, as an application's and the command line's do.
 *
 * <p>pgvector runs in PGlite here (PostgreSQL compiled to WebAssembly, in Node, one connection), plain
 * PostgreSQL is the native server: the two absolute rates are not comparable engines, the recall is.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "--add-modules", "jdk.incubator.vector",
        "--enable-native-access=ALL-UNNAMED", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
public class PostgresSearchBenchmark {
    static final String PREFIX = "bench_search";
    static final int QUERIES = 200;

    @Param({"10"})
    int tenants;

    @Param({"1000"})
    int perTenant;

    private EmbeddingModel model;
    private float[][][] vectors;
    private float[][] queries;
    private int[][] exact;
    private VectorStore store;
    private String url;
    private int next;

    private void load(String serverUrl, String what, String options) throws IOException {
        Machine.print();
        url = serverUrl;
        Postgres.require(url, what);
        Postgres.dropTables(url, PREFIX);
        model = new EmbeddingModel("bench", InstallBenchmark.DIMENSION, Similarity.COSINE, true, "bench-fingerprint");
        float[][] points = Vectors.clustered(tenants * perTenant, model.dimension(), 42);
        vectors = new float[tenants][perTenant][];
        queries = Vectors.queries(QUERIES, model.dimension(), 42);
        exact = new int[QUERIES][];
        store = Postgres.open(url, "nyla.prefix=" + PREFIX + "&" + options);
        long started = System.nanoTime();
        Generation g;
        try (GenerationWriter w = store.newGeneration(GenerationSpec.of(1, "search", model))) {
            for (int t = 0; t < tenants; t++) {
                for (int i = 0; i < perTenant; i++) {
                    vectors[t][i] = points[t * perTenant + i];
                    w.add(VectorRecord.of(tenant(t), Vectors.id(i), "text of chunk " + i, Map.of(), model,
                            vectors[t][i]));
                }
            }
            g = w.commit();
        }
        store.activate(g.id());
        System.out.printf("loaded %,d records into %s in %.1f s%n", tenants * perTenant, what,
                (System.nanoTime() - started) / 1e9);
        double overlap = 0;
        for (int q = 0; q < QUERIES; q++) {
            int t = q % tenants;
            exact[q] = Exact.topK(vectors[t], queries[q], 10);
            overlap += Exact.overlap(exact[q], Vectors.indexes(store.search(SearchRequest.of(tenant(t), queries[q], 10))));
        }
        Metrics.report("recall@10", overlap / QUERIES, "ratio");
    }

    private static String tenant(int t) {
        return String.format(Locale.ROOT, "tenant-%03d", t);
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        if (store != null) {
            store.close();
            Postgres.dropTables(url, PREFIX);
        }
    }

    @Setup(Level.Trial)
    public void setUp(org.openjdk.jmh.infra.BenchmarkParams params) throws IOException {
        if (params.getBenchmark().endsWith("pgvectorHnsw")) {
            load(Postgres.PGVECTOR, "pgvector (PGlite)", "nyla.dialect=pgvector&nyla.exactSearchThreshold=0");
        } else {
            load(Postgres.PLAIN, "PostgreSQL", "nyla.dialect=postgres&nyla.bulkLoad=copy");
        }
    }

    @Benchmark
    public List<SearchHit> pgvectorHnsw() throws IOException {
        return search();
    }

    @Benchmark
    public List<SearchHit> postgresExact() throws IOException {
        return search();
    }

    private List<SearchHit> search() throws IOException {
        next = (next + 1) % QUERIES;
        return store.search(SearchRequest.of(tenant(next % tenants), queries[next], 10));
    }
}
