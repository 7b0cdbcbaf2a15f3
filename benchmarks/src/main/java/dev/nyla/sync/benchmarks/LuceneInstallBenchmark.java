package dev.nyla.sync.benchmarks;

import dev.nyla.sync.ContentHash;
import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.Similarity;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.artifact.DirectoryArtifactSource;
import dev.nyla.sync.artifact.Payload;
import dev.nyla.sync.artifact.PayloadFile;
import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.client.InstallRoute;
import dev.nyla.sync.client.NylaSync;
import dev.nyla.sync.client.SyncResult;
import dev.nyla.sync.lucene.LuceneOptions;
import dev.nyla.sync.lucene.LucenePayloadFormat;
import dev.nyla.sync.lucene.LuceneVectorStore;
import dev.nyla.sync.publish.PublishResult;
import dev.nyla.sync.publish.Publisher;
import dev.nyla.sync.store.DurableFiles;
import dev.nyla.sync.store.VectorStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.util.List;
import java.util.Random;
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
 * A whole sync run into a {@link LuceneVectorStore}, in one run with its baselines:
 * <ul>
 *   <li>{@code fullInstallLucenePayload}: the prebuilt index (route {@code NATIVE_FULL}): download with
 *       SHA-256 and fsync, Lucene's checksums, open, swap;</li>
 *   <li>{@code baselineCopySha256LucenePayload}: copy the same files while hashing them, then fsync: the
 *       physical limit of that install;</li>
 *   <li>{@code fullInstallFromRecords}: the same version from the portable records (route
 *       {@code FULL_COMPRESSED}): the client builds the HNSW graph itself;</li>
 *   <li>{@code deltaInstallLucenePayload}: version 2 (1 % of the records changed) over version 1, by file
 *       (route {@code NATIVE_DELTA}).</li>
 * </ul>
 * The artifact comes from a local directory (page cache): network time is excluded on purpose.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xmx3g", "--add-modules", "jdk.incubator.vector",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
public class LuceneInstallBenchmark {
    @Param({"100000"})
    int records;

    @Param({"384"})
    int dimension;

    private Path dir;
    private Path v1Host;
    private Path v1RecordsOnly;
    private Path v2Host;
    private KeyPair keys;
    private EmbeddingModel model;
    private Payload v1Lucene;
    private LuceneVectorStore withV1;
    private VectorStore target;

    @Setup(Level.Trial)
    public void publish() throws IOException {
        dir = Files.createTempDirectory("nyla-lucene-bench-");
        keys = SigningKeys.generate();
        model = new EmbeddingModel("bench", dimension, Similarity.COSINE, true, "bench-fingerprint");
        Random random = new Random(42);
        List<VectorRecord> v1 = Vectors.records(model, records, random);
        List<VectorRecord> v2 = Vectors.onePercentChanged(v1, model, random);
        LucenePayloadFormat lucene = new LucenePayloadFormat(LuceneOptions.DEFAULTS.withMergeThreads(2), dir);
        Publisher withLucene = Publisher.builder().signingKey(keys).nativePayload(lucene).build();
        v1Host = dir.resolve("v1");
        v2Host = dir.resolve("v2");
        v1RecordsOnly = dir.resolve("v1-records");
        PublishResult r1 = withLucene.publishRecords(v1, model, v1Host);
        withLucene.publishRecords(v2, model, v2Host, v1Host);
        Publisher.builder().signingKey(keys).build().publishRecords(v1, model, v1RecordsOnly);
        v1Lucene = r1.manifest().nativePayload(LucenePayloadFormat.KIND).orElseThrow();
        System.out.printf("%nLucene payload %,d B in %d files; records payload (gzip) %,d B%n",
                v1Lucene.files().stream().mapToLong(PayloadFile::size).sum(), v1Lucene.files().size(), r1.fullBytes());
    }

    @TearDown(Level.Trial)
    public void removeFiles() throws IOException {
        DurableFiles.deleteRecursively(dir);
    }

    /** A store with version 1 installed, for the delta; a clean slate for the full installs. */
    @Setup(Level.Invocation)
    public void prepare() throws IOException {
        for (String d : List.of("store", "state", "store-v1", "copy")) {
            DurableFiles.deleteRecursively(dir.resolve(d));
        }
        withV1 = LuceneVectorStore.open(dir.resolve("store-v1"));
        expect(sync(withV1, v1Host), InstallRoute.NATIVE_FULL);
    }

    @TearDown(Level.Invocation)
    public void closeStores() throws IOException {
        withV1.close();
        if (target != null) {
            target.close();
            target = null;
        }
    }

    @Benchmark
    public SyncResult fullInstallLucenePayload() throws IOException {
        target = LuceneVectorStore.open(dir.resolve("store"));
        return expect(sync(target, v1Host), InstallRoute.NATIVE_FULL);
    }

    @Benchmark
    public SyncResult fullInstallFromRecords() throws IOException {
        target = LuceneVectorStore.open(dir.resolve("store"));
        return expect(sync(target, v1RecordsOnly), InstallRoute.FULL_COMPRESSED);
    }

    @Benchmark
    public SyncResult deltaInstallLucenePayload() throws IOException {
        SyncResult r = expect(sync(withV1, v2Host), InstallRoute.NATIVE_DELTA);
        if (r.bytesDownloaded() * 20 > r.fullPayloadBytes()) {
            throw new IllegalStateException("delta downloaded " + r.bytesDownloaded() + " of " + r.fullPayloadBytes());
        }
        return r;
    }

    @Benchmark
    public long baselineCopySha256LucenePayload() throws IOException {
        Path copy = Files.createDirectories(dir.resolve("copy"));
        long total = 0;
        for (PayloadFile f : v1Lucene.files()) {
            MessageDigest sha = ContentHash.sha256();
            total += Vectors.copyHashForce(v1Host.resolve(f.name()), copy.resolve(f.name()), sha);
            sha.digest();
        }
        return total;
    }

    private SyncResult sync(VectorStore store, Path host) throws IOException {
        try (NylaSync sync = NylaSync.builder().source(new DirectoryArtifactSource(host)).store(store)
                .publicKey(keys.getPublic()).expectedModel(model).build()) {
            return sync.checkNow();
        }
    }

    private static SyncResult expect(SyncResult r, InstallRoute route) {
        if (r.outcome() != SyncResult.Outcome.INSTALLED || r.route().orElse(null) != route) {
            throw new IllegalStateException("expected an install by " + route + " but got " + r.outcome() + ": "
                    + r.steps());
        }
        return r;
    }
}
