package dev.nyla.sync.benchmarks;

import dev.nyla.sync.ContentHash;
import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.RecordKeys;
import dev.nyla.sync.Similarity;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.client.InstallRoute;
import dev.nyla.sync.client.SyncResult;
import dev.nyla.sync.corpus.SeedIndex;
import dev.nyla.sync.internal.DurableFiles;
import dev.nyla.sync.jdbc.JdbcVectorStore;
import dev.nyla.sync.lucene.LuceneOptions;
import dev.nyla.sync.lucene.LucenePayloadFormat;
import dev.nyla.sync.lucene.LuceneVectorStore;
import dev.nyla.sync.publish.Publisher;
import dev.nyla.sync.store.Compression;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.GenerationSpec;
import dev.nyla.sync.store.GenerationWriter;
import dev.nyla.sync.store.Payload;
import dev.nyla.sync.store.PayloadFile;
import dev.nyla.sync.store.SearchRequest;
import dev.nyla.sync.store.VectorStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.lucene.codecs.Codec;
import org.apache.lucene.codecs.FilterCodec;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;
import org.apache.lucene.codecs.perfield.PerFieldKnnVectorsFormat;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.store.FSDirectory;
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
 * A full install of one version ({@code size} clustered vectors × 384), every way a client can get it, in one
 * run so that the ratios hold on a noisy machine. Each op starts from an empty store and ends with the
 * version active and searchable; the artifact comes from a local directory (page cache), so network time is
 * excluded and what remains is the client's own cost.
 * <ul>
 *   <li>{@code physicalLimit}: copy the prebuilt Lucene payload's files while SHA-256 hashing them, fsync
 *       each: the least a "download and verify" of those bytes costs when one thread does it all;
 *       {@code physicalLimitOverlapped} the same while a second thread has the disk write each file's bytes
 *       as they are copied ({@link dev.nyla.sync.internal.Writeback}, which the client's downloads use), so
 *       that each final fsync waits for the last bytes only: the least on two cores;</li>
 *   <li>{@code lucenePrebuilt}: {@link dev.nyla.sync.client.NylaSync} installs the prebuilt index (route {@code NATIVE_FULL}):
 *       download with SHA-256 and Lucene's CRC32 in one pass, fsync, header and footer checks, open, swap;</li>
 *   <li>{@code luceneFromRecords}: the same version from the portable records (gzip): the client rebuilds
 *       the HNSW graph, with the store's default {@link LuceneOptions#buildThreads()} (every available
 *       processor); {@code luceneFromRecordsOneThread} the same with {@code buildThreads = 1}, the graph
 *       built while records are added and the segments' graphs merged, on one thread. Both report
 *       {@code recall@10.graph}: the overlap with the exact top 10 of the graph's own top 10 (no over-fetch,
 *       no candidate floor), the figure that shows a worse graph, and {@code recall@10}: the same index
 *       searched as a store serves it (over-fetch and candidate floor at their defaults);</li>
 *   <li>{@code sqlite}, {@code postgresInsert}, {@code postgresCopy}: the records into the JDBC store:
 *       embedded SQLite, PostgreSQL by batched inserts, PostgreSQL by binary {@code COPY};</li>
 *   <li>{@code seedDesign}: the design this project replaces: parse the JSON index from {@code .json.gz},
 *       add every vector, build the HNSW index on the client (no signature, no hashes);</li>
 *   <li>{@code plainLuceneHnsw}: the floor of the two rebuilds: plain Lucene builds the graph of the same
 *       vectors, held in memory, with the store's HNSW settings and nothing else in the documents.</li>
 * </ul>
 * Secondary results: {@code bytes} (what the route reads from the artifact) and peak heap (see {@link Metrics}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xmx3g", "--add-modules", "jdk.incubator.vector",
        "--enable-native-access=ALL-UNNAMED", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
public class InstallBenchmark {
    static final int DIMENSION = 384;
    static final String PG_PREFIX = "bench_install";

    @Param({"100000"})
    int size;

    private Path dir;
    private Releases.Release release;
    private Path withLucene;
    private Path seedJson;
    private EmbeddingModel model;
    private Payload lucenePayload;
    private VectorStore target;
    /** Set by an op whose store's recall is measured after it, outside the time. */
    private GraphRecall measureRecall;

    @Setup(Level.Trial)
    public void publish() throws IOException {
        Machine.print();
        dir = Files.createTempDirectory("nyla-install-bench-");
        model = new EmbeddingModel("bench", DIMENSION, Similarity.COSINE, true, "bench-fingerprint");
        release = Releases.get("install-" + size, (out, signing) -> {
            List<VectorRecord> records = Vectors.records(model, Vectors.clustered(size, DIMENSION, 42));
            LucenePayloadFormat lucene = new LucenePayloadFormat(LuceneOptions.DEFAULTS.withMergeThreads(2),
                    Files.createDirectories(out.resolve("work")));
            Publisher.builder().signingKey(signing).nativePayload(lucene).build()
                    .publishRecords(records, model, out.resolve("with-lucene"));
            Publisher.builder().signingKey(signing).build().publishRecords(records, model, out.resolve("records-only"));
            Vectors.writeSeedJsonGz(out.resolve("index.json.gz"), model.id(), records);
        });
        withLucene = release.host("with-lucene");
        seedJson = release.host("index.json.gz");
        lucenePayload = release.manifest("with-lucene").nativePayload(LucenePayloadFormat.KIND).orElseThrow();
        long recordsBytes = release.manifest("records-only").payload().files().stream()
                .filter(f -> f.compression() == Compression.GZIP).mapToLong(PayloadFile::size).sum();
        System.out.printf("%d records x %d: Lucene payload %,d B in %d files; records (gzip) %,d B; seed .json.gz %,d B%n",
                size, DIMENSION, luceneBytes(), lucenePayload.files().size(), recordsBytes, Files.size(seedJson));
    }

    @TearDown(Level.Trial)
    public void removeFiles() throws IOException {
        DurableFiles.deleteRecursively(dir);
    }

    /** Every op starts from nothing: no store, no client state, no copy. */
    @Setup(Level.Invocation)
    public void clean() throws IOException {
        for (String d : List.of("store", "state", "copy", "store.db")) {
            DurableFiles.deleteRecursively(dir.resolve(d));
        }
        Files.deleteIfExists(dir.resolve("store.db-journal"));
        Files.deleteIfExists(dir.resolve("store.db-wal"));
    }

    @TearDown(Level.Invocation)
    public void closeTarget() throws IOException {
        GraphRecall recall = measureRecall;
        measureRecall = null;
        if (recall != null && target != null) {
            recall.report(target, "recall@10.graph");
        }
        if (target != null) {
            target.close();
            target = null;
        }
        if (recall != null) {
            // The same index as a user's store searches it: over-fetch and candidate floor at their defaults.
            try (LuceneVectorStore asServed = LuceneVectorStore.open(dir.resolve("store"))) {
                recall.report(asServed, "recall@10");
            }
        }
    }

    /** The PostgreSQL server, for the benchmarks that need it; its tables are dropped around every op. */
    @State(Scope.Benchmark)
    public static class Server {
        @Setup(Level.Trial)
        public void require() {
            Postgres.require(Postgres.PLAIN, "PostgreSQL");
        }

        @Setup(Level.Invocation)
        public void drop() {
            Postgres.dropTables(Postgres.PLAIN, PG_PREFIX);
        }

        @TearDown(Level.Trial)
        public void dropAtEnd() {
            drop();
        }
    }

    @Benchmark
    public long physicalLimit() throws IOException {
        return copyHashForce(false);
    }

    @Benchmark
    public long physicalLimitOverlapped() throws IOException {
        return copyHashForce(true);
    }

    private long copyHashForce(boolean writeback) throws IOException {
        Path copy = Files.createDirectories(dir.resolve("copy"));
        long total = 0;
        for (PayloadFile f : lucenePayload.files()) {
            MessageDigest sha = ContentHash.sha256();
            total += Vectors.copyHashForce(withLucene.resolve(f.name()), copy.resolve(f.name()), sha, writeback);
            sha.digest();
        }
        Metrics.report("bytes", total, "B");
        return total;
    }

    @Benchmark
    public SyncResult lucenePrebuilt() throws IOException {
        target = LuceneVectorStore.open(dir.resolve("store"));
        return sync("with-lucene", InstallRoute.NATIVE_FULL);
    }

    @Benchmark
    public SyncResult luceneFromRecords(GraphRecall recall) throws IOException {
        return luceneFromRecords(recall, LuceneOptions.DEFAULTS.buildThreads());
    }

    @Benchmark
    public SyncResult luceneFromRecordsOneThread(GraphRecall recall) throws IOException {
        return luceneFromRecords(recall, 1);
    }

    private SyncResult luceneFromRecords(GraphRecall recall, int buildThreads) throws IOException {
        // Over-fetch 1 and no candidate floor change only searches: the recall measured after the op is the
        // graph's own; the build is the default one.
        target = LuceneVectorStore.open(dir.resolve("store"), LuceneOptions.DEFAULTS.withBuildThreads(buildThreads)
                .withOverFetch(1).withMinCandidates(0));
        measureRecall = recall;
        Metrics.report("buildThreads", buildThreads, "threads");
        return sync("records-only", InstallRoute.FULL_COMPRESSED);
    }

    /** Queries from the clusters of the installed vectors and their exact top 10, for the rebuilds' recall. */
    @State(Scope.Benchmark)
    public static class GraphRecall {
        static final int QUERIES = 200;
        float[][] queries;
        int[][] exact;

        @Setup(Level.Trial)
        public void exactTop10(InstallBenchmark b) {
            float[][] vectors = Vectors.clustered(b.size, DIMENSION, 42);
            queries = Vectors.queries(QUERIES, DIMENSION, 42);
            exact = new int[QUERIES][];
            for (int i = 0; i < QUERIES; i++) {
                exact[i] = Exact.topK(vectors, queries[i], 10);
            }
        }

        void report(VectorStore store, String figure) throws IOException {
            double overlap = 0;
            for (int i = 0; i < QUERIES; i++) {
                overlap += Exact.overlap(exact[i], Vectors.indexes(store.search(SearchRequest.of(queries[i], 10))));
            }
            Metrics.report(figure, overlap / QUERIES, "ratio");
        }
    }

    @Benchmark
    public SyncResult sqlite() throws IOException {
        target = JdbcVectorStore.openEmbedded(dir.resolve("store.db"));
        return sync("records-only", InstallRoute.FULL_COMPRESSED);
    }

    @Benchmark
    public SyncResult postgresInsert(Server server) throws IOException {
        target = Postgres.open(Postgres.PLAIN, "nyla.prefix=" + PG_PREFIX + "&nyla.dialect=postgres&nyla.bulkLoad=insert");
        return sync("records-only", InstallRoute.FULL_COMPRESSED);
    }

    @Benchmark
    public SyncResult postgresCopy(Server server) throws IOException {
        target = Postgres.open(Postgres.PLAIN, "nyla.prefix=" + PG_PREFIX + "&nyla.dialect=postgres&nyla.bulkLoad=copy");
        return sync("records-only", InstallRoute.FULL_COMPRESSED);
    }

    @Benchmark
    public Generation seedDesign() throws IOException {
        LuceneVectorStore store = LuceneVectorStore.open(dir.resolve("store"));
        target = store;
        List<VectorRecord> records = new ArrayList<>(SeedIndex.read(seedJson, model, VectorRecord.DEFAULT_TENANT));
        records.sort((a, b) -> RecordKeys.compare(a.tenant(), a.id(), b.tenant(), b.id()));
        Generation g;
        try (GenerationWriter w = store.newGeneration(GenerationSpec.of(1, "seed", model))) {
            for (VectorRecord r : records) {
                w.add(r);
            }
            g = w.commit();
        }
        store.activate(g.id());
        Metrics.report("bytes", Files.size(seedJson), "B");
        return g;
    }

    /** The same vectors in memory, for {@link #plainLuceneHnsw} only (every other op reads an artifact). */
    @State(Scope.Benchmark)
    public static class InMemory {
        float[][] vectors;

        @Setup(Level.Trial)
        public void generate(InstallBenchmark b) {
            vectors = Vectors.clustered(b.size, DIMENSION, 42);
        }
    }

    /**
     * The floor of any HNSW rebuild: plain Lucene, one vector field per document and nothing else, the store's
     * graph settings and RAM buffer, vectors already in memory; added, merged to one segment (as a generation
     * is), committed, closed. No index sort, stored fields or doc values: those count as the store's cost.
     */
    @Benchmark
    public long plainLuceneHnsw(InMemory m) throws IOException {
        LuceneOptions o = LuceneOptions.DEFAULTS;
        IndexWriterConfig config = new IndexWriterConfig()
                .setRAMBufferSizeMB(o.ramBufferMb())
                .setCodec(new FilterCodec(Codec.getDefault().getName(), Codec.getDefault()) {
                    private final KnnVectorsFormat hnsw = new Lucene99HnswVectorsFormat(o.maxConn(), o.beamWidth());

                    @Override
                    public KnnVectorsFormat knnVectorsFormat() {
                        return new PerFieldKnnVectorsFormat() {
                            @Override
                            public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
                                return hnsw;
                            }
                        };
                    }
                });
        try (FSDirectory d = FSDirectory.open(Files.createDirectories(dir.resolve("store")));
             IndexWriter w = new IndexWriter(d, config)) {
            for (float[] v : m.vectors) {
                Document doc = new Document();
                doc.add(new KnnFloatVectorField("vector", v, VectorSimilarityFunction.DOT_PRODUCT));
                w.addDocument(doc);
            }
            w.forceMerge(1); // as the store's generation writer does: one segment, one graph, to serve
            w.commit();
            return w.getDocStats().numDocs;
        }
    }

    /** The directory ops work in: {@code store} and {@code state} below it are cleaned before each op. */
    Path workDirectory() {
        return dir;
    }

    /** The published release: the prebuilt payload is in its {@code with-lucene} host. */
    Releases.Release release() {
        return release;
    }

    EmbeddingModel model() {
        return model;
    }

    private SyncResult sync(String host, InstallRoute route) throws IOException {
        return release.install(target, host, dir.resolve("state"), model, route);
    }

    private long luceneBytes() {
        return lucenePayload.files().stream().mapToLong(PayloadFile::size).sum();
    }
}
