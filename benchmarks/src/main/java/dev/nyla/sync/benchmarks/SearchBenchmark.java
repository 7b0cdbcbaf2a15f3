package dev.nyla.sync.benchmarks;

import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.Similarity;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.lucene.LuceneOptions;
import dev.nyla.sync.lucene.LuceneVectorStore;
import dev.nyla.sync.lucene.Quantization;
import dev.nyla.sync.internal.DurableFiles;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.GenerationSpec;
import dev.nyla.sync.store.GenerationWriter;
import dev.nyla.sync.store.SearchHit;
import dev.nyla.sync.store.SearchRequest;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
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
 * Top-k search on one thread (k = 1, 3, 5, 10): {@link LuceneVectorStore}'s HNSW graph (float32, int7, int4;
 * re-scored at full precision) against the exact brute-force scan ({@link Exact}) at the same k, on clustered
 * vectors or on real MiniLM embeddings. One op is one query (queries/s), cycling through queries that are not
 * in the data.
 *
 * <p>The graph is searched for {@code max(k × overFetch, minCandidates)} candidates (HNSW's {@code ef}), which
 * are re-scored exactly; {@code minCandidates} is the recall knob at small k. Each HNSW trial reports
 * {@code recall@k}, the mean overlap of its top k with the exact top k over all queries, as a secondary
 * result, and every trial its queries per CPU-second ({@link CpuClock}). Indexes are built once and kept in
 * the {@linkplain Vectors#dataDirectory() data directory}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xmx3g", "--add-modules", "jdk.incubator.vector",
        "--enable-native-access=ALL-UNNAMED", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
public class SearchBenchmark {
    static final int QUERIES = 500;

    /**
     * The data set: {@code clustered-<n>} (n × 384 clustered vectors) or {@code minilm-<n>} (real embeddings),
     * and the k of every search, so that the exact scan is the baseline of the HNSW rows at the same k.
     */
    @State(Scope.Benchmark)
    public static class Data {
        @Param({"clustered-100000", "minilm-10000"})
        String data;

        @Param({"1", "3", "5", "10"})
        int k;

        EmbeddingModel model;
        float[][] vectors;
        float[][] queries;
        int[][] exact;

        /** A hash of the vectors, to tell kept indexes of other data apart. */
        int fingerprint() {
            int h = vectors.length;
            for (float[] v : vectors) {
                h = 31 * h + java.util.Arrays.hashCode(v);
            }
            return h;
        }

        @Setup(Level.Trial)
        public void load() throws IOException {
            Machine.print();
            int dash = data.lastIndexOf('-');
            String kind = data.substring(0, dash);
            int size = Integer.parseInt(data.substring(dash + 1));
            switch (kind) {
                case "clustered" -> {
                    vectors = Vectors.clustered(size, InstallBenchmark.DIMENSION, 42);
                    queries = Vectors.queries(QUERIES, InstallBenchmark.DIMENSION, 42);
                }
                case "minilm" -> {
                    MiniLmData m = MiniLmData.load(size, QUERIES);
                    vectors = m.vectors();
                    queries = m.queries();
                }
                default -> throw new IllegalArgumentException("data: expected clustered-<n> or minilm-<n> but was " + data);
            }
            model = new EmbeddingModel(kind, vectors[0].length, Similarity.COSINE, true, kind + "-fingerprint");
            exact = new int[queries.length][];
            for (int i = 0; i < queries.length; i++) {
                exact[i] = Exact.topK(vectors, queries[i], k);
            }
        }
    }

    /**
     * A Lucene store holding the data, with the graph quantized as asked and searched with the over-fetch and
     * candidate floor asked (the store's defaults unless given).
     */
    @State(Scope.Benchmark)
    public static class Hnsw {
        @Param({"none", "int7", "int4"})
        String quantization;

        @Param({"4"})
        int overFetch;

        @Param({"100"})
        int minCandidates;

        LuceneVectorStore store;

        @Setup(Level.Trial)
        public void open(Data d) throws IOException {
            Quantization q = Quantization.fromWireName(quantization);
            // Exact-scan threshold 0: the store would otherwise scan small tenants exactly, which is not HNSW.
            LuceneOptions options = LuceneOptions.DEFAULTS.withQuantization(q).withOverFetch(overFetch)
                    .withMinCandidates(minCandidates).withExactSearchThreshold(0).withMergeThreads(2);
            // Named by the data's fingerprint too: other MiniLM vectors (another JDK's javadoc) need another index.
            Path dir = Vectors.dataDirectory().resolve("search-" + d.data + "-" + quantization + "-"
                    + Integer.toHexString(d.fingerprint()) + "-g" + Vectors.VERSION);
            store = LuceneVectorStore.open(dir, options);
            long have = store.activeGeneration().map(Generation::recordCount).orElse(-1L);
            if (have != d.vectors.length) {
                store.close();
                DurableFiles.deleteRecursively(dir);
                store = LuceneVectorStore.open(dir, options);
                long started = System.nanoTime();
                build(store, d);
                System.out.printf("built the %s index of %s in %.1f s%n", quantization, d.data,
                        (System.nanoTime() - started) / 1e9);
            }
            double overlap = 0;
            for (int i = 0; i < d.queries.length; i++) {
                overlap += Exact.overlap(d.exact[i], Vectors.indexes(store.search(SearchRequest.of(d.queries[i], d.k))));
            }
            Metrics.report("recall@k", overlap / d.queries.length, "ratio");
            Metrics.report("index.bytes", store.stats().bytesOnDisk(), "B");
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            store.close();
        }

        private static void build(LuceneVectorStore store, Data d) throws IOException {
            Generation g;
            try (GenerationWriter w = store.newGeneration(GenerationSpec.of(1, d.data, d.model))) {
                for (VectorRecord r : Vectors.records(d.model, d.vectors)) {
                    w.add(r);
                }
                g = w.commit();
            }
            store.activate(g.id());
        }

        }

    /**
     * Queries per second of the benchmark thread's own CPU time ({@code cpu.ops/s}), a secondary result that a
     * shared, oversubscribed machine distorts much less than the wall-clock throughput: another process taking
     * the core away stops this clock too.
     */
    @State(Scope.Thread)
    public static class CpuClock {
        private static final java.lang.management.ThreadMXBean THREADS =
                java.lang.management.ManagementFactory.getThreadMXBean();
        long ops;
        long started;

        @Setup(Level.Iteration)
        public void start() {
            ops = 0;
            started = THREADS.getCurrentThreadCpuTime();
        }

        @TearDown(Level.Iteration)
        public void stop() {
            long cpu = THREADS.getCurrentThreadCpuTime() - started;
            if (cpu > 0) {
                Metrics.report("cpu.ops/s", ops * 1e9 / cpu, "ops/s");
            }
        }
    }

    private int next;

    @Benchmark
    public List<SearchHit> hnsw(Data d, Hnsw h, CpuClock clock) throws IOException {
        next = (next + 1) % d.queries.length;
        clock.ops++;
        return h.store.search(SearchRequest.of(d.queries[next], d.k));
    }

    @Benchmark
    public int[] exactScan(Data d, CpuClock clock) {
        next = (next + 1) % d.queries.length;
        clock.ops++;
        return Exact.topK(d.vectors, d.queries[next], d.k);
    }
}
