package dev.nyla.sync.internal;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.ArtifactException;
import dev.nyla.sync.ContentHash;
import dev.nyla.sync.DimensionMismatchException;
import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.InvalidVectorException;
import dev.nyla.sync.Similarity;
import dev.nyla.sync.TestData;
import dev.nyla.sync.VectorEncoding;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.artifact.ArtifactSource;
import dev.nyla.sync.artifact.ManifestRequest;
import dev.nyla.sync.artifact.ManifestResponse;
import dev.nyla.sync.artifact.Mutations;
import dev.nyla.sync.artifact.internal.Artifacts;
import dev.nyla.sync.store.Compression;
import dev.nyla.sync.store.PayloadFile;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A bounded, seeded fuzz of the record file reader as the client reads payload files
 * ({@link Artifacts#openRecordFile}): full and delta files, float32 and float16 vectors, gzip and plain, each
 * mutated (edits, bit flips, truncations, integer fields and header fields set to extremes, the plain content
 * mutated under a valid gzip) and read to the end; a quarter of the plain ones are read by
 * {@link RecordFileReader#open} instead, which checks the trailer's SHA-256 (as the file store reads its own). Only the documented typed exceptions may escape:
 * {@link ArtifactException} and its subclasses, {@link DimensionMismatchException}, {@link InvalidVectorException}.
 *
 * <p>{@code -Dnyla.fuzz.recordFiles=N} sets the number of inputs (default 30,000: about 3 s on an idle machine).
 */
class RecordFileFuzzTest {
    private static final Logger LOG = LoggerFactory.getLogger(RecordFileFuzzTest.class);
    private static final int INPUTS = Integer.getInteger("nyla.fuzz.recordFiles", 30_000);
    private static final int DIM = 8;
    private static final EmbeddingModel MODEL = TestData.model(DIM, Similarity.COSINE);
    /** Bytes that mean something to the reader: entry types, small lengths, high bytes. */
    private static final String RECORD_BYTES = "\u0000\u0001\u0002\u0004\u0008\u007f\u0080\u00fe\u00ff";

    /** One valid record file to start from, as stored, with its plain content and its integer fields. */
    private record Seed(String name, VectorEncoding encoding, Compression compression, byte[] plain, byte[] stored,
                        List<int[]> fields) {
    }

    /** A source holding one file, whatever its name. */
    private record OneFile(byte[] bytes) implements ArtifactSource {
        @Override
        public String describe() {
            return "fuzz";
        }

        @Override
        public ManifestResponse fetchManifest(ManifestRequest request) {
            throw new UnsupportedOperationException("payload files only");
        }

        @Override
        public InputStream open(String fileName, long offset) {
            return new ByteArrayInputStream(bytes, (int) offset, bytes.length - (int) offset);
        }
    }

    @Test
    void fuzzedRecordFilesGiveOnlyTypedRefusals() throws IOException {
        List<Seed> seeds = seeds();
        for (Seed s : seeds) {
            assertEquals(s.name().startsWith("full") ? 7 : 9, read(s.stored(), s, declared(s.stored(), s.compression(),
                    s.plain().length)), s.name() + " reads as written");
        }
        Random random = new Random(21);
        int typed = 0;
        int accepted = 0;
        List<String> untyped = new ArrayList<>();
        Map<String, Integer> refusals = new java.util.TreeMap<>();
        for (int i = 0; i < INPUTS; i++) {
            Seed s = seeds.get(i % seeds.size());
            byte[] plain = s.plain();
            byte[] stored;
            long uncompressed;
            // Mutating the plain content of a gzip file and compressing it again reaches the reader through a
            // valid gzip stream; mutating the stored bytes tests the gzip layer.
            boolean underGzip = s.compression() == Compression.GZIP && random.nextBoolean();
            if (s.compression() == Compression.NONE || underGzip) {
                plain = mutate(s, random);
                stored = s.compression() == Compression.GZIP ? gzip(plain) : plain;
                uncompressed = plain.length;
            } else {
                stored = Mutations.edit(s.stored(), random, RECORD_BYTES);
                uncompressed = s.plain().length;
            }
            // Mostly as signed by a publisher that wrote these bytes; sometimes as a corrupt download of the seed.
            PayloadFile file = random.nextInt(4) == 0 ? declared(s.stored(), s.compression(), s.plain().length)
                    : declared(stored, s.compression(), uncompressed);
            boolean direct = s.compression() == Compression.NONE && random.nextInt(4) == 0;
            try {
                if (direct) {
                    readDirectly(stored, s);
                } else {
                    read(stored, s, file);
                }
                accepted++;
            } catch (ArtifactException | DimensionMismatchException | InvalidVectorException e) {
                typed++;
                refusals.merge(e.getClass().getSimpleName(), 1, Integer::sum);
            } catch (IOException | RuntimeException | OutOfMemoryError e) {
                untyped.add("input " + i + " (" + s.name() + "): " + e);
                if (untyped.size() == 1) {
                    LOG.warn("first untyped failure", e);
                }
            }
        }
        LOG.info("record file fuzz: {} inputs from {} seeds: {} typed refusals {}, {} accepted, {} untyped", INPUTS,
                seeds.size(), typed, refusals, accepted, untyped.size());
        assertEquals(List.of(), untyped.subList(0, Math.min(10, untyped.size())), untyped.size() + " untyped");
        assertTrue(typed > INPUTS * 3 / 4, "most mutations are refused; typed: " + typed + ", accepted: " + accepted);
    }

    /** Reads every entry; returns how many there were. */
    private static int read(byte[] stored, Seed s, PayloadFile file) throws IOException {
        int n = 0;
        try (RecordFileReader r = Artifacts.openRecordFile(new OneFile(stored), file, DIM, s.encoding())) {
            while (r.next().isPresent()) {
                n++;
            }
        }
        return n;
    }

    /** Reads every entry with the trailer's SHA-256 checked, as a store reads its own file. */
    private static void readDirectly(byte[] plain, Seed s) throws IOException {
        try (RecordFileReader r = RecordFileReader.open(new ByteArrayInputStream(plain), "f.nyr", DIM, s.encoding())) {
            while (r.next().isPresent()) {
                // reading to the end is the check
            }
        }
    }

    private static PayloadFile declared(byte[] stored, Compression compression, long uncompressed) {
        return new PayloadFile("f.nyr", stored.length, ContentHash.sha256Hex(stored), compression,
                compression == Compression.NONE ? stored.length : uncompressed);
    }

    /** One mutation of the seed's plain content. */
    private static byte[] mutate(Seed s, Random random) {
        byte[] b = s.plain();
        return switch (random.nextInt(6)) {
            case 0, 1 -> Mutations.edit(b, random, RECORD_BYTES);
            case 2 -> Mutations.flipBits(b, random);
            case 3 -> Mutations.truncate(b, random);
            case 4 -> {
                // A length, count, entry type or trailer count set to an extreme.
                int[] field = s.fields().get(random.nextInt(s.fields().size()));
                yield Mutations.setLittleEndian(b, field[0], field[1], extreme(field[1], random));
            }
            default -> {
                // A header field: format version (8, 2 bytes), kind (10), flags (11), dimension (12, 4 bytes).
                int[][] header = {{8, 2}, {10, 1}, {11, 1}, {12, 4}};
                int[] field = header[random.nextInt(header.length)];
                yield Mutations.setLittleEndian(b, field[0], field[1], extreme(field[1], random));
            }
        };
    }

    private static long extreme(int width, Random random) {
        long[] values = switch (width) {
            case 1 -> new long[] {0, 1, 2, 3, 0x7f, 0x80, 0xfe, 0xff};
            case 2 -> new long[] {0, 1, 2, 0x7fff, 0xffff};
            case 4 -> new long[] {0, 1, 0x7fff_ffffL, 0x8000_0000L, 0xffff_ffffL, 257, 1025, 65_537, 1 << 20,
                    (1 << 20) + 1, 16 << 20, (16 << 20) + 1, DIM - 1, DIM + 1};
            default -> new long[] {0, 1, Long.MAX_VALUE, -1, Long.MIN_VALUE, 1L << 32};
        };
        return random.nextInt(8) == 0 ? random.nextLong() : values[random.nextInt(values.length)];
    }

    private static List<Seed> seeds() throws IOException {
        List<Seed> seeds = new ArrayList<>();
        for (RecordFileKind kind : RecordFileKind.values()) {
            for (VectorEncoding encoding : VectorEncoding.values()) {
                byte[] plain = write(kind, encoding);
                for (Compression c : Compression.values()) {
                    String name = kind.name().toLowerCase() + "-" + encoding.wireName() + "-" + c.name().toLowerCase();
                    seeds.add(new Seed(name, encoding, c, plain, c == Compression.GZIP ? gzip(plain) : plain,
                            fields(plain, encoding)));
                }
            }
        }
        return seeds;
    }

    /** Seven records (metadata, non-ASCII text, an empty text), and in a delta two deletions among them. */
    private static byte[] write(RecordFileKind kind, VectorEncoding encoding) throws IOException {
        List<VectorRecord> records = new ArrayList<>(TestData.records(MODEL, "alice", 5, 1, Map.of("k", "v", "lang", "en")));
        records.add(VectorRecord.of("bob", "b-1", "ünïcödé – 😀", Map.of("é", "ß"), MODEL,
                TestData.unitVector(new Random(2), DIM)));
        records.add(VectorRecord.of("bob", "b-2", "", Map.of(), MODEL, TestData.unitVector(new Random(3), DIM)));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (RecordFileWriter w = new RecordFileWriter(out, "seed", kind, DIM, encoding)) {
            for (VectorRecord r : records) {
                if (kind == RecordFileKind.DELTA && r.id().equals("b-1")) {
                    w.delete("alice", "zz-gone");
                    w.delete("bob", "a-gone");
                }
                w.upsert(r);
            }
            w.finish();
        }
        return out.toByteArray();
    }

    /** Offset and width of every integer field after the header: entry types, lengths, counts, trailer counts. */
    private static List<int[]> fields(byte[] plain, VectorEncoding encoding) {
        List<int[]> fields = new ArrayList<>();
        int pos = RecordFile.HEADER_BYTES;
        while (true) {
            fields.add(new int[] {pos, 1});
            int op = plain[pos++] & 0xff;
            if (op == RecordFile.OP_END) {
                fields.add(new int[] {pos, 8});
                fields.add(new int[] {pos + 8, 8});
                return fields;
            }
            int strings = op == RecordFile.OP_DELETE ? 2 : 3;
            for (int i = 0; i < strings; i++) {
                fields.add(new int[] {pos, 4});
                pos += 4 + u32(plain, pos);
            }
            if (op == RecordFile.OP_UPSERT) {
                fields.add(new int[] {pos, 4});
                int metadata = u32(plain, pos);
                pos += 4;
                for (int i = 0; i < 2 * metadata; i++) {
                    fields.add(new int[] {pos, 4});
                    pos += 4 + u32(plain, pos);
                }
                pos += RecordFile.HASH_BYTES + DIM * RecordFile.bytes(encoding);
            }
        }
    }

    private static int u32(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8 | (b[at + 2] & 0xff) << 16 | (b[at + 3] & 0xff) << 24;
    }

    private static byte[] gzip(byte[] plain) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(plain);
        }
        return out.toByteArray();
    }
}
