package dev.nyla.sync.benchmarks;

import dev.nyla.sync.ContentHash;
import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.Similarity;
import dev.nyla.sync.VectorEncoding;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.artifact.DirectoryArtifactSource;
import dev.nyla.sync.artifact.internal.Artifacts;
import dev.nyla.sync.corpus.SeedIndex;
import dev.nyla.sync.internal.RecordEntry;
import dev.nyla.sync.internal.RecordFileKind;
import dev.nyla.sync.internal.RecordFileReader;
import dev.nyla.sync.internal.RecordFileWriter;
import dev.nyla.sync.store.Compression;
import dev.nyla.sync.store.PayloadFile;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * The portable record payload against its baselines, in one run so that ratios are meaningful on a noisy
 * machine:
 * <ul>
 *   <li>{@code readVerifyPlain} / {@code readVerifyGzip}: what a client does with a full payload, every check on
 *       (size, sha256, decompression cap, format, order, finite floats, trailer), records materialized;</li>
 *   <li>{@code write}: what a publisher does (encode + write, no embedding);</li>
 *   <li>{@code baselineCopySha256}: copy the same plain bytes to a new file while hashing them, the physical
 *       limit of "download and verify";</li>
 *   <li>{@code baselineSeedJsonGz}: parse the same vectors from the original system's {@code .json.gz} index.</li>
 * </ul>
 * Vectors are random unit vectors (dense, like real embeddings: they do not compress).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "--add-modules", "jdk.incubator.vector"})
public class RecordFileBenchmark {
    @Param({"100000"})
    int records;

    @Param({"384"})
    int dimension;

    private Path dir;
    private PayloadFile plain;
    private PayloadFile gzip;
    private Path seedJsonGz;
    private EmbeddingModel model;
    private float[][] pool;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        Machine.print();
        dir = Files.createTempDirectory("nyla-bench-");
        model = new EmbeddingModel("bench", dimension, Similarity.COSINE, true, "bench-fingerprint");
        Random random = new Random(42);
        pool = new float[1024][];
        for (int i = 0; i < pool.length; i++) {
            pool[i] = Vectors.unit(random, dimension);
        }
        Path plainFile = dir.resolve("records.nyr");
        writeTo(plainFile);
        plain = describe(plainFile, Compression.NONE, Files.size(plainFile));
        Path gzFile = dir.resolve("records.nyr.gz");
        try (InputStream in = Files.newInputStream(plainFile);
             OutputStream out = new GZIPOutputStream(Files.newOutputStream(gzFile), 1 << 16)) {
            in.transferTo(out);
        }
        gzip = describe(gzFile, Compression.GZIP, Files.size(plainFile));
        seedJsonGz = dir.resolve("index.json.gz");
        List<VectorRecord> list = new ArrayList<>(records);
        for (int i = 0; i < records; i++) {
            list.add(VectorRecord.of("default", String.format("doc-%08d", i), "chunk number " + i, Map.of(), model,
                    pool[i % pool.length]));
        }
        Vectors.writeSeedJsonGz(seedJsonGz, "bench", list);
        System.out.printf("%nplain %,d B, gzip %,d B (%.1f%%), seed json.gz %,d B%n", plain.size(), gzip.size(),
                100.0 * gzip.size() / plain.size(), Files.size(seedJsonGz));
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    @Benchmark
    public long readVerifyPlain(Blackhole bh) throws IOException {
        return readAll(plain, bh);
    }

    @Benchmark
    public long readVerifyGzip(Blackhole bh) throws IOException {
        return readAll(gzip, bh);
    }

    @Benchmark
    public long write() throws IOException {
        Path target = dir.resolve("write.nyr");
        Files.deleteIfExists(target);
        writeTo(target);
        return Files.size(target);
    }

    @Benchmark
    public byte[] baselineCopySha256() throws Exception {
        Path target = dir.resolve("copy.nyr");
        Files.deleteIfExists(target);
        MessageDigest sha = ContentHash.sha256();
        ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
        byte[] heap = new byte[1 << 20];
        try (FileChannel in = FileChannel.open(dir.resolve(plain.name()));
             FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            while (in.read(buf) >= 0) {
                buf.flip();
                int n = buf.remaining();
                buf.get(heap, 0, n);
                sha.update(heap, 0, n);
                buf.flip();
                while (buf.hasRemaining()) {
                    out.write(buf);
                }
                buf.clear();
            }
        }
        return sha.digest();
    }

    @Benchmark
    public int baselineSeedJsonGz() throws IOException {
        return SeedIndex.read(seedJsonGz, model, "default").size();
    }

    private long readAll(PayloadFile file, Blackhole bh) throws IOException {
        long n = 0;
        try (RecordFileReader r = Artifacts.openRecordFile(new DirectoryArtifactSource(dir), file, dimension,
                VectorEncoding.F32)) {
            for (Optional<RecordEntry> e; (e = r.next()).isPresent(); ) {
                bh.consume(e.get());
                n++;
            }
        }
        return n;
    }

    private void writeTo(Path file) throws IOException {
        try (RecordFileWriter w = new RecordFileWriter(new BufferedOutputStream(Files.newOutputStream(file), 1 << 16),
                file.toString(), RecordFileKind.FULL, dimension)) {
            for (int i = 0; i < records; i++) {
                w.upsert(VectorRecord.of("default", String.format("doc-%08d", i), "chunk number " + i, Map.of(), model,
                        pool[i % pool.length]));
            }
            w.finish();
        }
    }

    private static PayloadFile describe(Path file, Compression compression, long uncompressed) throws IOException {
        MessageDigest sha = ContentHash.sha256();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] b = new byte[1 << 16];
            for (int n; (n = in.read(b)) > 0; ) {
                sha.update(b, 0, n);
            }
        }
        return new PayloadFile(file.getFileName().toString(), Files.size(file), HexFormat.of().formatHex(sha.digest()),
                compression, uncompressed);
    }
}
