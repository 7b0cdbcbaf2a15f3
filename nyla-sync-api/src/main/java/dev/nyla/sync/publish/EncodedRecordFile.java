package dev.nyla.sync.publish;

import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.store.Compression;
import dev.nyla.sync.store.PayloadFile;
import dev.nyla.sync.internal.RecordFileKind;
import dev.nyla.sync.internal.RecordFileWriter;
import dev.nyla.sync.VectorEncoding;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * One record stream written once and stored twice, gzip-compressed and plain, each under a
 * content-addressed name ({@code <prefix>-<sha256>.nyr[.gz]}) once finished; or gzip-compressed only, for
 * files that clients only ever download in their preferred encoding (deltas).
 */
final class EncodedRecordFile implements AutoCloseable {
    private final Path directory;
    private final String prefix;
    private final Path rawTemp;
    private final Path gzTemp;
    private final HashingFileOutput raw;
    private final HashingFileOutput gz;
    private final Tee tee;
    private final RecordFileWriter writer;
    private boolean finished;

    /** Both encodings, gzip and plain. */
    EncodedRecordFile(Path directory, String prefix, RecordFileKind kind, int dimension, VectorEncoding encoding,
                      int gzipLevel) throws IOException {
        this(directory, prefix, kind, dimension, encoding, gzipLevel, true);
    }

    /** The gzip encoding, and the plain one too when {@code plain}. */
    EncodedRecordFile(Path directory, String prefix, RecordFileKind kind, int dimension, VectorEncoding encoding,
                      int gzipLevel, boolean plain) throws IOException {
        this.directory = directory;
        this.prefix = prefix;
        this.rawTemp = plain ? Files.createTempFile(directory, ".publish-" + prefix + "-", ".tmp") : null;
        this.gzTemp = Files.createTempFile(directory, ".publish-" + prefix + "-", ".gz.tmp");
        if (plain) {
            Files.delete(rawTemp);
        }
        Files.delete(gzTemp);
        this.raw = plain ? new HashingFileOutput(rawTemp) : null;
        this.gz = new HashingFileOutput(gzTemp);
        GZIPOutputStream gzip = new GZIPOutputStream(gz, 256 << 10) {
            {
                def.setLevel(gzipLevel);
            }
        };
        this.tee = new Tee(plain ? raw : OutputStream.nullOutputStream(), gzip);
        this.writer = new RecordFileWriter(tee, prefix, kind, dimension, encoding);
    }

    void upsert(VectorRecord r) throws IOException {
        writer.upsert(r);
    }

    void delete(String tenant, String id) throws IOException {
        writer.delete(tenant, id);
    }

    long upserts() {
        return writer.upserts();
    }

    long deletes() {
        return writer.deletes();
    }

    /** Finishes the encodings, moves them to their final names and returns them, gzip first. */
    List<PayloadFile> finish() throws IOException {
        writer.finish();
        writer.close();
        finished = true;
        String ext = ".nyr";
        Path gzFinal = directory.resolve(prefix + "-" + gz.sha256() + ext + ".gz");
        Files.move(gzTemp, gzFinal, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        PayloadFile gzFile = new PayloadFile(gzFinal.getFileName().toString(), gz.size(), gz.sha256(), Compression.GZIP,
                tee.bytes);
        if (raw == null) {
            return List.of(gzFile);
        }
        Path rawFinal = directory.resolve(prefix + "-" + raw.sha256() + ext);
        Files.move(rawTemp, rawFinal, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return List.of(gzFile,
                new PayloadFile(rawFinal.getFileName().toString(), raw.size(), raw.sha256(), Compression.NONE, raw.size()));
    }

    @Override
    public void close() throws IOException {
        if (!finished) {
            try {
                writer.close();
            } finally {
                if (rawTemp != null) {
                    Files.deleteIfExists(rawTemp);
                }
                Files.deleteIfExists(gzTemp);
            }
        }
    }

    static int checkLevel(int level) {
        if (level < Deflater.NO_COMPRESSION || level > Deflater.BEST_COMPRESSION) {
            throw new IllegalArgumentException("gzip level: expected 0..9 but was " + level);
        }
        return level;
    }

    /** Writes every byte to both streams, counting them; closing closes both. */
    private static final class Tee extends OutputStream {
        private final OutputStream a;
        private final OutputStream b;
        private long bytes;

        Tee(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int x) throws IOException {
            a.write(x);
            b.write(x);
            bytes++;
        }

        @Override
        public void write(byte[] buf, int off, int len) throws IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
            bytes += len;
        }

        @Override
        public void flush() throws IOException {
            a.flush();
            b.flush();
        }

        @Override
        public void close() throws IOException {
            try (a; b) {
                // closes both, even when one fails
            }
        }
    }
}
