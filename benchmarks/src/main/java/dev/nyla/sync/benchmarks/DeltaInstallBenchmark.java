package dev.nyla.sync.benchmarks;

import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.Similarity;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.client.InstallRoute;
import dev.nyla.sync.client.SyncResult;
import dev.nyla.sync.lucene.LuceneOptions;
import dev.nyla.sync.lucene.LucenePayloadFormat;
import dev.nyla.sync.lucene.LuceneVectorStore;
import dev.nyla.sync.publish.PublishResult;
import dev.nyla.sync.publish.Publisher;
import dev.nyla.sync.internal.DurableFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
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
 * Version 2 over an installed version 1, with a fraction {@code changed} of the chunks edited (spread evenly
 * over the key space, the worst case for a store whose files follow key order), into a
 * {@link LuceneVectorStore}, against the full install of version 2 in the same run:
 * <ul>
 *   <li>{@code fullPrebuilt}: version 2 into an empty store from its prebuilt index (the baseline);</li>
 *   <li>{@code deltaPrebuilt}: only the Lucene files version 1 lacks are downloaded, the rest hard-linked
 *       (route {@code NATIVE_DELTA});</li>
 *   <li>{@code deltaRecords}: the portable delta file of upserts and deletes applied on a copy of version 1
 *       (route {@code DELTA}).</li>
 * </ul>
 * Secondary results: {@code bytes} downloaded and {@code bytes.ofFull}, that as a fraction of the full
 * payload of the same kind.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xmx3g", "--add-modules", "jdk.incubator.vector",
        "--enable-native-access=ALL-UNNAMED", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
public class DeltaInstallBenchmark {
    @Param({"100000"})
    int size;

    @Param({"0.001", "0.01", "0.1"})
    double changed;

    private Path dir;
    private Releases.Release release;
    private EmbeddingModel model;
    private LuceneVectorStore store;
    private LuceneVectorStore empty;

    @Setup(Level.Trial)
    public void publish() throws IOException {
        Machine.print();
        dir = Files.createTempDirectory("nyla-delta-bench-");
        model = new EmbeddingModel("bench", InstallBenchmark.DIMENSION, Similarity.COSINE, true, "bench-fingerprint");
        release = Releases.get("delta-" + size + "-" + changed, (out, signing) -> {
            List<VectorRecord> first = Vectors.records(model, Vectors.clustered(size, model.dimension(), 42));
            List<VectorRecord> second = Vectors.changed(first, model, changed, 42, 43);
            Publisher lucene = Publisher.builder().signingKey(signing).nativePayload(new LucenePayloadFormat(
                    LuceneOptions.DEFAULTS.withMergeThreads(2), Files.createDirectories(out.resolve("work")))).build();
            lucene.publishRecords(first, model, out.resolve("v1"));
            PublishResult r2 = lucene.publishRecords(second, model, out.resolve("v2"), out.resolve("v1"));
            // The same version 2 without the Lucene payload, so that the client takes the portable delta.
            PublishResult r2r = Publisher.builder().signingKey(signing).build()
                    .publishRecords(second, model, out.resolve("v2-records"), out.resolve("v1"));
            PublishResult.NativeBytes nb = r2.nativeBytes(LucenePayloadFormat.KIND).orElseThrow();
            Files.writeString(out.resolve("sizes.txt"), String.format(Locale.ROOT,
                    "%d records, %.1f%% changed: Lucene payload %,d B, of it new %,d B (%.2f%%); "
                            + "records delta %,d B of %,d B full (%.2f%%)%n", size, changed * 100, nb.fullBytes(),
                    nb.newBytes(), 100.0 * nb.newBytes() / nb.fullBytes(), r2r.deltaBytes(), r2r.fullBytes(),
                    100.0 * r2r.deltaBytes() / r2r.fullBytes()));
        });
        System.out.print(Files.readString(release.host("sizes.txt")));
    }

    @TearDown(Level.Trial)
    public void removeFiles() throws IOException {
        DurableFiles.deleteRecursively(dir);
    }

    /** Version 1 installed from its prebuilt index, with fresh client state: the starting point of every op. */
    @Setup(Level.Invocation)
    public void installV1() throws IOException {
        DurableFiles.deleteRecursively(dir.resolve("store"));
        DurableFiles.deleteRecursively(dir.resolve("store-full"));
        store = LuceneVectorStore.open(dir.resolve("store"));
        sync(store, "v1", InstallRoute.NATIVE_FULL);
        empty = LuceneVectorStore.open(dir.resolve("store-full"));
    }

    @TearDown(Level.Invocation)
    public void closeStores() throws IOException {
        store.close();
        empty.close();
    }

    @Benchmark
    public SyncResult fullPrebuilt() throws IOException {
        return sync(empty, "v2", InstallRoute.NATIVE_FULL);
    }

    @Benchmark
    public SyncResult deltaPrebuilt() throws IOException {
        return sync(store, "v2", InstallRoute.NATIVE_DELTA);
    }

    @Benchmark
    public SyncResult deltaRecords() throws IOException {
        return sync(store, "v2-records", InstallRoute.DELTA);
    }

    private SyncResult sync(LuceneVectorStore into, String host, InstallRoute route) throws IOException {
        // The client's default state directory, beneath the store: it goes when the store is deleted.
        SyncResult r = release.install(into, host, into.directory().orElseThrow().resolve("sync"), model, route);
        Metrics.report("bytes.ofFull", (double) r.bytesDownloaded() / r.fullPayloadBytes(), "ratio");
        return r;
    }
}
