package dev.nyla.sync.benchmarks;

import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.Similarity;
import dev.nyla.sync.SourceRecord;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.demo.HashingEmbedder;
import dev.nyla.sync.jdbc.JdbcVectorStore;
import dev.nyla.sync.lucene.LuceneOptions;
import dev.nyla.sync.lucene.LuceneVectorStore;
import dev.nyla.sync.reconcile.Drift;
import dev.nyla.sync.reconcile.Reconciler;
import dev.nyla.sync.reconcile.SourceOfTruth;
import dev.nyla.sync.reconcile.SyncReport;
import dev.nyla.sync.internal.DurableFiles;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.GenerationSpec;
import dev.nyla.sync.store.GenerationWriter;
import dev.nyla.sync.store.VectorStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
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
 * The reconciler against what any diff must cost, in one run.
 * <ul>
 *   <li>{@code check}: {@link Reconciler#check} of one tenant of {@code ids} records (1M by default) in a store
 *       against an in-memory source, with 0.1 % missing, 0.1 % stale and 0.1 % changed: the store's inventory
 *       streamed, every source record content-hashed, both merged;</li>
 *   <li>{@code baselineSortedMerge}: the same ids and hashes already in sorted arrays in memory, merged: the
 *       floor of any diff;</li>
 *   <li>{@code baselineHashAndMerge}: the merge plus content-hashing the source records, which a diff cannot
 *       avoid (the source holds texts, not hashes);</li>
 *   <li>{@code sync1PercentDrift}: {@link Reconciler#sync} of 100,000 records × 384 in a Lucene store with 1 %
 *       drift (a third each missing, stale and changed), embedding with {@link HashingEmbedder} so that
 *       the reconciler's own cost shows (MiniLM's rate is in {@link EmbedBenchmark}).</li>
 * </ul>
 * The check's stores are built once and kept in the {@linkplain Vectors#dataDirectory() data directory};
 * they have 8-dimensional vectors: a diff reads ids and hashes, never vectors, and the small dimension keeps
 * a 1M-record store quick to build. The sync's store is built afresh for every trial.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xmx3g", "--add-modules", "jdk.incubator.vector",
        "--enable-native-access=ALL-UNNAMED", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
public class ReconcileBenchmark {
    static final String TENANT = VectorRecord.DEFAULT_TENANT;

    /** An in-memory source of truth over a sorted list. */
    record ListSource(List<SourceRecord> records) implements SourceOfTruth {
        @Override
        public String describe() {
            return "in-memory source of " + records.size() + " records";
        }

        @Override
        public Stream<String> tenants() {
            return Stream.of(TENANT);
        }

        @Override
        public Stream<SourceRecord> records(String tenant) {
            return tenant.equals(TENANT) ? records.stream() : Stream.empty();
        }
    }

    /**
     * The source of the check and both sides as sorted arrays: {@code ids} records, of which 0.1 % each are
     * missing from the store (id ≡ 1 mod 1000), stale in it (≡ 2: gone from the source) and changed (≡ 3: the
     * source's text was edited).
     */
    @State(Scope.Benchmark)
    public static class Ids {
        @Param({"1000000"})
        int ids;

        final EmbeddingModel model = new EmbeddingModel("bench-8", 8, Similarity.COSINE, true, "bench-8-fingerprint");
        ListSource source;
        String[] sourceIds;
        String[] sourceHashes;
        String[] storeIds;
        String[] storeHashes;
        long expected;
        long inStore;

        @Setup(Level.Trial)
        public void prepare() {
            Machine.print();
            List<SourceRecord> src = new ArrayList<>(ids);
            List<String> si = new ArrayList<>(ids);
            List<String> sh = new ArrayList<>(ids);
            for (int i = 0; i < ids; i++) {
                if (i % 1000 != 2) {
                    src.add(new SourceRecord(TENANT, Vectors.id(i), (i % 1000 == 3 ? "edited text " : "text of chunk ")
                            + i, Map.of()));
                }
                if (i % 1000 != 1) {
                    si.add(Vectors.id(i));
                    sh.add(storeRecord(i).contentHash());
                }
            }
            source = new ListSource(src);
            sourceIds = src.stream().map(SourceRecord::id).toArray(String[]::new);
            sourceHashes = src.stream().map(r -> r.contentHash(model.fingerprint())).toArray(String[]::new);
            storeIds = si.toArray(String[]::new);
            storeHashes = sh.toArray(String[]::new);
            inStore = storeIds.length;
            expected = countOf(1) + countOf(2) + countOf(3);
        }

        /** How many of the ids are ≡ {@code r} (mod 1000). */
        private long countOf(int r) {
            return ids > r ? (ids - 1 - r) / 1000 + 1 : 0;
        }

        /**
         * The store's record {@code i}: the original text, a pseudo-random vector (distinct vectors: HNSW
         * merges stall on many duplicates).
         */
        VectorRecord storeRecord(int i) {
            SplittableRandom random = new SplittableRandom(i);
            float[] vector = new float[model.dimension()];
            for (int d = 0; d < vector.length; d++) {
                vector[d] = (float) random.nextDouble(-1, 1);
            }
            return VectorRecord.of(TENANT, Vectors.id(i), "text of chunk " + i, Map.of(), model, vector);
        }
    }

    /** The store for the check, built once from {@link Ids} and kept in the data directory. */
    @State(Scope.Benchmark)
    public static class Diff {
        @Param({"lucene", "sqlite"})
        String store;

        VectorStore opened;

        @Setup(Level.Trial)
        public void prepare(Ids ids) throws IOException {
            Path dir = Vectors.dataDirectory().resolve("reconcile-" + store + "-" + ids.ids + "-g" + Vectors.VERSION);
            opened = open(dir);
            if (opened.activeGeneration().map(Generation::recordCount).orElse(-1L) != ids.inStore) {
                opened.close();
                DurableFiles.deleteRecursively(dir);
                opened = open(dir);
                long started = System.nanoTime();
                Generation g;
                try (GenerationWriter w = opened.newGeneration(GenerationSpec.of(1, "reconcile", ids.model))) {
                    for (int i = 0; i < ids.ids; i++) {
                        if (i % 1000 != 1) {
                            w.add(ids.storeRecord(i));
                        }
                    }
                    g = w.commit();
                }
                opened.activate(g.id());
                System.out.printf("built the %s store of %,d records in %.1f s%n", store, ids.inStore,
                        (System.nanoTime() - started) / 1e9);
            }
        }

        private VectorStore open(Path dir) throws IOException {
            return switch (store) {
                case "lucene" -> LuceneVectorStore.open(dir, LuceneOptions.DEFAULTS.withMergeThreads(2));
                case "sqlite" -> JdbcVectorStore.openEmbedded(java.nio.file.Files.createDirectories(dir).resolve("store.db"));
                default -> throw new IllegalArgumentException("store: expected lucene or sqlite but was " + store);
            };
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            opened.close();
        }
    }

    @Benchmark
    public Drift check(Ids d, Diff store) throws IOException {
        Drift drift = Reconciler.builder().store(store.opened).source(d.source).build().check(TENANT);
        if (drift.missing() + drift.stale() + drift.changed() != d.expected) {
            throw new IllegalStateException("expected " + d.expected + " differences but the check found " + drift);
        }
        Metrics.report("drift", drift.missing() + drift.stale() + drift.changed(), "records");
        return drift;
    }

    @Benchmark
    public long baselineSortedMerge(Ids d) {
        return merge(d.sourceIds, d.sourceHashes, d.storeIds, d.storeHashes, d.expected);
    }

    @Benchmark
    public long baselineHashAndMerge(Ids d) {
        List<SourceRecord> records = d.source.records();
        String[] hashes = new String[records.size()];
        for (int i = 0; i < hashes.length; i++) {
            hashes[i] = records.get(i).contentHash(d.model.fingerprint());
        }
        return merge(d.sourceIds, hashes, d.storeIds, d.storeHashes, d.expected);
    }

    /** Missing + stale + changed between two id-sorted lists (ids in {@link dev.nyla.sync.RecordKeys} order). */
    private static long merge(String[] aIds, String[] aHashes, String[] bIds, String[] bHashes, long expected) {
        long differences = 0;
        int i = 0;
        int j = 0;
        while (i < aIds.length || j < bIds.length) {
            int c = i == aIds.length ? 1 : j == bIds.length ? -1 : dev.nyla.sync.RecordKeys.compare(aIds[i], bIds[j]);
            if (c < 0) {
                differences++;
                i++;
            } else if (c > 0) {
                differences++;
                j++;
            } else {
                if (!aHashes[i].equals(bHashes[j])) {
                    differences++;
                }
                i++;
                j++;
            }
        }
        if (differences != expected) {
            throw new IllegalStateException("the merge found " + differences + " differences, expected " + expected);
        }
        return differences;
    }

    /** A Lucene store of {@code size} records and two sources 1 % apart; each op syncs the store to the other. */
    @State(Scope.Benchmark)
    public static class Sync {
        @Param({"100000"})
        int size;

        HashingEmbedder embedder = new HashingEmbedder(InstallBenchmark.DIMENSION);
        LuceneVectorStore store;
        Path dir;
        ListSource a;
        ListSource b;
        int runs;

        @Setup(Level.Trial)
        public void prepare() throws IOException {
            Machine.print();
            List<SourceRecord> first = new ArrayList<>(size);
            List<SourceRecord> second = new ArrayList<>(size);
            for (int i = 0; i < size; i++) {
                SourceRecord r = new SourceRecord(TENANT, Vectors.id(i), "text of chunk " + i, Map.of());
                // 1 % drift, a third each: ≡ 1 (mod 300) only in A, ≡ 2 only in B, ≡ 3 edited in B.
                if (i % 300 != 2) {
                    first.add(r);
                }
                if (i % 300 == 3) {
                    second.add(new SourceRecord(TENANT, r.id(), "edited text of chunk " + i, Map.of()));
                } else if (i % 300 != 1) {
                    second.add(r);
                }
            }
            a = new ListSource(first);
            b = new ListSource(second);
            // A fresh store each trial: syncs leave deletes and small segments behind, and a kept store would
            // make the numbers depend on the runs before.
            dir = Files.createTempDirectory("nyla-reconcile-bench-");
            store = LuceneVectorStore.open(dir, LuceneOptions.DEFAULTS.withMergeThreads(2));
            {
                float[][] vectors = Vectors.clustered(first.size(), InstallBenchmark.DIMENSION, 42);
                Generation g;
                try (GenerationWriter w = store.newGeneration(GenerationSpec.of(1, "reconcile", embedder.model()))) {
                    for (int i = 0; i < first.size(); i++) {
                        w.add(first.get(i).toVectorRecord(vectors[i], embedder.model().fingerprint()));
                    }
                    g = w.commit();
                }
                store.activate(g.id());
            }
        }

        Reconciler reconciler(ListSource source) {
            return Reconciler.builder().store(store).source(source).embedder(embedder).build();
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            store.close();
            DurableFiles.deleteRecursively(dir);
        }
    }

    @Benchmark
    public SyncReport sync1PercentDrift(Sync s) {
        ListSource target = s.runs++ % 2 == 0 ? s.b : s.a;
        SyncReport r = s.reconciler(target).sync(TENANT, false);
        if (r.outcome() != SyncReport.Outcome.SYNCED) {
            throw new IllegalStateException("the sync did not end in sync: " + r);
        }
        Metrics.report("embedded", r.embedded(), "records");
        Metrics.report("written", r.written() + r.deleted(), "records");
        return r;
    }
}
