package dev.nyla.sync.artifact.internal;

import dev.nyla.sync.ContentHash;
import dev.nyla.sync.VectorEncoding;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.artifact.DirectoryArtifactSource;
import dev.nyla.sync.internal.RecordEntry;
import dev.nyla.sync.internal.RecordFileKind;
import dev.nyla.sync.internal.RecordFileReader;
import dev.nyla.sync.internal.RecordFileWriter;
import dev.nyla.sync.store.Compression;
import dev.nyla.sync.store.PayloadFile;
import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * Run in a child JVM with a small heap by {@link RecordFileBoundedMemoryTest}: writes {@code count}
 * records of {@code dimension} floats to a record file on disk, then reads the file back through
 * {@link Artifacts#openRecordFile} (size, sha256 and format checks), comparing a checksum of every vector.
 */
public final class BoundedMemoryMain {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int count = Integer.parseInt(args[1]);
        int dimension = Integer.parseInt(args[2]);
        String hash = "0".repeat(64);
        Path file = dir.resolve("records.nyr");
        MessageDigest sha = ContentHash.sha256();
        double writtenSum = 0;
        SplittableRandom random = new SplittableRandom(42);
        try (OutputStream out = new DigestOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 16), sha);
             RecordFileWriter w = new RecordFileWriter(out, file.toString(), RecordFileKind.FULL, dimension)) {
            for (int i = 0; i < count; i++) {
                float[] v = new float[dimension];
                for (int d = 0; d < dimension; d++) {
                    v[d] = (float) random.nextDouble(-1, 1);
                    writtenSum += v[d];
                }
                w.upsert(new VectorRecord("tenant-" + (i / (count / 10 + 1)), String.format("id-%09d", i), "chunk " + i, Map.of(),
                        hash, v));
            }
            w.finish();
        }
        long size = Files.size(file);
        PayloadFile payload = new PayloadFile("records.nyr", size, HexFormat.of().formatHex(sha.digest()),
                Compression.NONE, size);
        double readSum = 0;
        long read = 0;
        try (RecordFileReader r = Artifacts.openRecordFile(new DirectoryArtifactSource(dir), payload, dimension,
                VectorEncoding.F32)) {
            for (Optional<RecordEntry> e; (e = r.next()).isPresent(); ) {
                for (float f : ((RecordEntry.Upsert) e.get()).record().vector()) {
                    readSum += f;
                }
                read++;
            }
        }
        long peakHeap = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peakHeap += pool.getPeakUsage().getUsed();
            }
        }
        Files.delete(file);
        System.out.printf("written=%d read=%d bytes=%d sumsEqual=%b maxHeap=%d peakHeapPoolsSum=%d%n", count, read, size,
                writtenSum == readSum, Runtime.getRuntime().maxMemory(), peakHeap);
        System.exit(read == count && writtenSum == readSum ? 0 : 1);
    }
}
