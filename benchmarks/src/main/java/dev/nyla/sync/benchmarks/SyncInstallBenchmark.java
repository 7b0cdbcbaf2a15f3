package dev.nyla.sync.benchmarks;

import dev.nyla.sync.ContentHash;
import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.Similarity;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.artifact.Compression;
import dev.nyla.sync.artifact.DirectoryArtifactSource;
import dev.nyla.sync.artifact.PayloadFile;
import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.client.InstallRoute;
import dev.nyla.sync.client.NylaSync;
import dev.nyla.sync.client.SyncResult;
import dev.nyla.sync.publish.PublishResult;
import dev.nyla.sync.publish.Publisher;
import dev.nyla.sync.store.DurableFiles;
import dev.nyla.sync.store.FileVectorStore;
import dev.nyla.sync.store.MemoryVectorStore;
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
 * A whole sync run (check, verify, download into the local area with fsync, install, swap) against the
 * physical limit of the same bytes, in one run:
 * <ul>
 *   <li>{@code fullInstallMemory}: a first sync into a {@link MemoryVectorStore} (gzip payload, the client's
 *       first route);</li>
 *   <li>{@code fullInstallFile}: the same into a {@link FileVectorStore}, which also writes and forces the
 *       generation's record file;</li>
 *   <li>{@code deltaInstallMemory}: version 2 (1 % of the records changed) over an installed version 1;</li>
 *   <li>{@code baselineCopySha256Gzip}: copy the gzip payload file while hashing it, the physical limit of
 *       "download and verify" for the full route.</li>
 * </ul>
 * The artifact comes from a local directory (page cache), so network time is excluded on purpose: what is
 * left is the client's own cost.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xmx3g", "--add-modules", "jdk.incubator.vector",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
public class SyncInstallBenchmark {
    @Param({"100000"})
    int records;

    @Param({"384"})
    int dimension;

    private Path dir;
    private Path v1Host;
    private Path v2Host;
    private KeyPair keys;
    private EmbeddingModel model;
    private PayloadFile v1Gzip;
    private MemoryVectorStore withV1;
    private VectorStore target;

    @Setup(Level.Trial)
    public void publish() throws IOException {
        dir = Files.createTempDirectory("nyla-sync-bench-");
        keys = SigningKeys.generate();
        model = new EmbeddingModel("bench", dimension, Similarity.COSINE, true, "bench-fingerprint");
        Random random = new Random(42);
        List<VectorRecord> v1 = Vectors.records(model, records, random);
        List<VectorRecord> v2 = Vectors.onePercentChanged(v1, model, random);
        Publisher publisher = Publisher.builder().signingKey(keys).build();
        v1Host = dir.resolve("v1");
        v2Host = dir.resolve("v2");
        PublishResult r1 = publisher.publishRecords(v1, model, v1Host);
        PublishResult r2 = publisher.publishRecords(v2, model, v2Host, v1Host);
        v1Gzip = r1.manifest().payload().files().stream().filter(f -> f.compression() == Compression.GZIP)
                .findFirst().orElseThrow();
        System.out.printf("%nfull gzip %,d B, delta %,d B (%.2f%% of full)%n", r2.fullBytes(), r2.deltaBytes(),
                100.0 * r2.deltaBytes() / r2.fullBytes());
    }

    @TearDown(Level.Trial)
    public void removeFiles() throws IOException {
        DurableFiles.deleteRecursively(dir);
    }

    /** A store with version 1 installed, for the delta; and a clean slate for the full installs. */
    @Setup(Level.Invocation)
    public void prepare() throws IOException {
        DurableFiles.deleteRecursively(dir.resolve("store"));
        DurableFiles.deleteRecursively(dir.resolve("state"));
        DurableFiles.deleteRecursively(dir.resolve("state-v1"));
        DurableFiles.deleteRecursively(dir.resolve("copy"));
        withV1 = new MemoryVectorStore();
        expect(sync(withV1, v1Host, "state-v1"), InstallRoute.FULL_COMPRESSED);
    }

    @TearDown(Level.Invocation)
    public void closeTarget() throws IOException {
        if (target != null) {
            target.close();
            target = null;
        }
    }

    @Benchmark
    public SyncResult fullInstallMemory() throws IOException {
        target = new MemoryVectorStore();
        return expect(sync(target, v1Host, "state"), InstallRoute.FULL_COMPRESSED);
    }

    @Benchmark
    public SyncResult fullInstallFile() throws IOException {
        target = FileVectorStore.open(dir.resolve("store"));
        return expect(sync(target, v1Host, "state"), InstallRoute.FULL_COMPRESSED);
    }

    @Benchmark
    public SyncResult deltaInstallMemory() throws IOException {
        return expect(sync(withV1, v2Host, "state-v1"), InstallRoute.DELTA);
    }

    @Benchmark
    public byte[] baselineCopySha256Gzip() throws IOException {
        Path copy = Files.createDirectories(dir.resolve("copy")).resolve(v1Gzip.name());
        MessageDigest sha = ContentHash.sha256();
        Vectors.copyHashForce(v1Host.resolve(v1Gzip.name()), copy, sha);
        return sha.digest();
    }

    private SyncResult sync(VectorStore store, Path host, String state) throws IOException {
        try (NylaSync sync = NylaSync.builder().source(new DirectoryArtifactSource(host)).store(store)
                .stateDirectory(dir.resolve(state)).publicKey(keys.getPublic()).expectedModel(model).build()) {
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
