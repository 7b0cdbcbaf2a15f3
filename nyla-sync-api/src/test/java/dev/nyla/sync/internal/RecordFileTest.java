package dev.nyla.sync.internal;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.DimensionMismatchException;
import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.IntegrityException;
import dev.nyla.sync.InvalidVectorException;
import dev.nyla.sync.MalformedArtifactException;
import dev.nyla.sync.Similarity;
import dev.nyla.sync.TestData;
import dev.nyla.sync.UnsupportedFormatException;
import dev.nyla.sync.VectorEncoding;
import dev.nyla.sync.VectorRecord;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RecordFileTest {
    private static final int DIM = 8;
    private static final EmbeddingModel MODEL = TestData.model(DIM, Similarity.COSINE);

    static byte[] write(RecordFileKind kind, List<VectorRecord> upserts) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (RecordFileWriter w = new RecordFileWriter(out, "test", kind, DIM)) {
            for (VectorRecord r : upserts) {
                w.upsert(r);
            }
            w.finish();
        }
        return out.toByteArray();
    }

    static List<RecordEntry> readAll(byte[] bytes, int expectedDimension) throws IOException {
        List<RecordEntry> out = new ArrayList<>();
        try (RecordFileReader r = RecordFileReader.open(new ByteArrayInputStream(bytes), "test.nyr", expectedDimension)) {
            for (Optional<RecordEntry> e; (e = r.next()).isPresent(); ) {
                out.add(e.get());
            }
        }
        return out;
    }

    private static List<VectorRecord> sample() {
        List<VectorRecord> records = new ArrayList<>(TestData.records(MODEL, "alice", 5, 1, Map.of("lang", "en", "k", "v")));
        records.add(VectorRecord.of("bob", "b-1", "ünïcödé text – with a 😀", Map.of("é", "ß"), MODEL,
                TestData.unitVector(new java.util.Random(2), DIM)));
        records.add(VectorRecord.of("bob", "b-2", "", Map.of(), MODEL, TestData.unitVector(new java.util.Random(3), DIM)));
        return records;
    }

    @Test
    void fullFileRoundTripsEveryField() throws IOException {
        List<VectorRecord> records = sample();
        List<RecordEntry> read = readAll(write(RecordFileKind.FULL, records), DIM);
        assertEquals(records, read.stream().map(e -> ((RecordEntry.Upsert) e).record()).toList());
    }

    @Test
    void deltaFileRoundTripsUpsertsAndDeletesInOrder() throws IOException {
        List<VectorRecord> records = sample();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (RecordFileWriter w = new RecordFileWriter(out, "delta", RecordFileKind.DELTA, DIM)) {
            w.delete("alice", "aaa-gone");
            w.upsert(records.get(0));
            w.delete("alice", "doc-00000x");
            w.upsert(records.get(5));
            w.finish();
            assertEquals(2, w.upserts());
            assertEquals(2, w.deletes());
        }
        List<RecordEntry> read = readAll(out.toByteArray(), DIM);
        assertEquals(List.of(new RecordEntry.Delete("alice", "aaa-gone"), new RecordEntry.Upsert(records.get(0)),
                new RecordEntry.Delete("alice", "doc-00000x"), new RecordEntry.Upsert(records.get(5))), read);
    }

    private static byte[] writeF16(List<VectorRecord> upserts) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (RecordFileWriter w = new RecordFileWriter(out, "test", RecordFileKind.FULL, DIM, VectorEncoding.F16)) {
            for (VectorRecord r : upserts) {
                w.upsert(r);
            }
            w.finish();
        }
        return out.toByteArray();
    }

    private static List<VectorRecord> readRecords(byte[] bytes, VectorEncoding encoding) throws IOException {
        List<VectorRecord> out = new ArrayList<>();
        try (RecordFileReader r = RecordFileReader.open(new ByteArrayInputStream(bytes), "test.nyr", DIM, encoding)) {
            assertEquals(encoding, r.vectorEncoding());
            for (Optional<RecordEntry> e; (e = r.next()).isPresent(); ) {
                out.add(((RecordEntry.Upsert) e.get()).record());
            }
        }
        return out;
    }

    @Test
    void f16FileStoresTwoBytesAComponentAndWidensToTheNearestHalfOfEachValue() throws IOException {
        List<VectorRecord> records = sample();
        byte[] f32 = write(RecordFileKind.FULL, records);
        byte[] f16 = writeF16(records);
        assertEquals(0x01, f16[11], "header flags announce float16 vectors");
        assertEquals(f32.length - records.size() * DIM * 2L, f16.length, "2 bytes less per component");
        List<VectorRecord> read = readRecords(f16, VectorEncoding.F16);
        assertEquals(records.size(), read.size());
        for (int i = 0; i < records.size(); i++) {
            float[] published = records.get(i).vector();
            float[] expected = new float[DIM];
            for (int d = 0; d < DIM; d++) {
                expected[d] = Float.float16ToFloat(Float.floatToFloat16(published[d]));
            }
            assertArrayEquals(expected, read.get(i).vector(), "record " + i);
            assertFalse(Arrays.equals(published, read.get(i).vector()), "random unit vectors are not float16 values");
            assertEquals(records.get(i).withVector(expected), read.get(i), "every other field as written");
        }
        // Rounding is idempotent: what a reader got back is written and read back unchanged.
        assertEquals(read, readRecords(writeF16(read), VectorEncoding.F16));
    }

    @Test
    void aFileWhoseEncodingIsNotTheExpectedOneIsRefused() throws IOException {
        byte[] f16 = writeF16(sample());
        MalformedArtifactException e = assertThrows(MalformedArtifactException.class, () -> readAll(f16, DIM));
        assertTrue(e.getMessage().contains("vector encoding") && e.expected().startsWith("f32") && e.actual().equals("f16"),
                e.getMessage());
        byte[] f32 = write(RecordFileKind.FULL, sample());
        e = assertThrows(MalformedArtifactException.class, () -> readRecords(f32, VectorEncoding.F16));
        assertTrue(e.expected().startsWith("f16") && e.actual().equals("f32"), e.getMessage());
    }

    @Test
    void anInfiniteHalfIsRefused() throws IOException {
        List<VectorRecord> records = sample();
        byte[] bytes = writeF16(records);
        // The last vector ends before the end byte, the two counts and the trailer hash.
        int lastVector = bytes.length - 1 - 16 - 32 - 2 * DIM;
        bytes[lastVector + 2 * 3] = 0x00;
        bytes[lastVector + 2 * 3 + 1] = 0x7C;
        InvalidVectorException e = assertThrows(InvalidVectorException.class, () -> readRecords(bytes, VectorEncoding.F16));
        VectorRecord last = records.get(records.size() - 1);
        assertTrue(e.getMessage().contains(last.tenant() + "/" + last.id()) && e.getMessage().contains("component 3"),
                e.getMessage());
    }

    @Test
    void f16WriterRefusesAComponentBeyondTheHalfRangeBeforeWritingAByte() throws IOException {
        float[] fits = new float[DIM];
        fits[0] = 65_519f; // rounds to 65504, the largest half
        fits[1] = -1e-9f;  // underflows to -0: small values lose precision, never range
        float[] tooLarge = fits.clone();
        tooLarge[2] = 65_520f;
        EmbeddingModel dot = TestData.model(DIM, Similarity.DOT_PRODUCT);
        VectorRecord ok = VectorRecord.of("t", "a", "x", Map.of(), dot, fits);
        VectorRecord bad = VectorRecord.of("t", "b", "x", Map.of(), dot, tooLarge);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (RecordFileWriter w = new RecordFileWriter(out, "test", RecordFileKind.FULL, DIM, VectorEncoding.F16)) {
            w.upsert(ok);
            InvalidVectorException e = assertThrows(InvalidVectorException.class, () -> w.upsert(bad));
            assertTrue(e.getMessage().contains("record t/b") && e.getMessage().contains("component 2")
                    && e.actual().equals("65520.0") && e.expected().contains("65520"), e.getMessage());
            w.finish();
        }
        List<VectorRecord> read = readRecords(out.toByteArray(), VectorEncoding.F16);
        assertEquals(List.of("a"), read.stream().map(VectorRecord::id).toList(), "the refused record left no bytes");
        assertEquals(65_504f, read.get(0).vector()[0]);
        assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(read.get(0).vector()[1]));
    }

    @Test
    void writerRefusesKeysOutOfOrderAndDuplicates() throws IOException {
        List<VectorRecord> records = sample();
        try (RecordFileWriter w = new RecordFileWriter(new ByteArrayOutputStream(), "t", RecordFileKind.FULL, DIM)) {
            w.upsert(records.get(1));
            assertThrows(IllegalArgumentException.class, () -> w.upsert(records.get(0)));
            assertThrows(IllegalArgumentException.class, () -> w.upsert(records.get(1)));
            assertThrows(IllegalStateException.class, () -> w.delete("zz", "zz"), "full files have no deletions");
        }
    }

    @Test
    void writerRefusesWrongDimension() throws IOException {
        EmbeddingModel other = TestData.model(DIM + 1, Similarity.COSINE);
        try (RecordFileWriter w = new RecordFileWriter(new ByteArrayOutputStream(), "t", RecordFileKind.FULL, DIM)) {
            assertThrows(DimensionMismatchException.class,
                    () -> w.upsert(TestData.records(other, "a", 1, 1, Map.of()).get(0)));
        }
    }

    @Test
    void readerRefusesAFileOfAnotherDimension() throws IOException {
        byte[] bytes = write(RecordFileKind.FULL, sample());
        DimensionMismatchException e = assertThrows(DimensionMismatchException.class, () -> readAll(bytes, DIM * 2));
        assertEquals(String.valueOf(DIM * 2), e.expected());
        assertEquals(String.valueOf(DIM), e.actual());
        assertTrue(e.getMessage().contains("test.nyr"), e.getMessage());
    }

    @Test
    void truncatedFileIsRefusedWhereverItIsCut() throws IOException {
        byte[] bytes = write(RecordFileKind.FULL, sample());
        for (int cut : new int[] {0, 5, 15, 16, 40, bytes.length / 2, bytes.length - 33, bytes.length - 1}) {
            byte[] truncated = Arrays.copyOf(bytes, cut);
            MalformedArtifactException e = assertThrows(MalformedArtifactException.class, () -> readAll(truncated, DIM),
                    "cut at " + cut);
            assertTrue(e.getMessage().contains("test.nyr"), e.getMessage());
            assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("magic"), e.getMessage());
        }
    }

    @Test
    void bytesAfterTheTrailerAreRefused() throws IOException {
        byte[] bytes = write(RecordFileKind.FULL, sample());
        byte[] longer = Arrays.copyOf(bytes, bytes.length + 1);
        MalformedArtifactException e = assertThrows(MalformedArtifactException.class, () -> readAll(longer, DIM));
        assertTrue(e.getMessage().contains("over-long"), e.getMessage());
    }

    @Test
    void aFlippedByteInTheTextIsCaughtByTheTrailerChecksum() throws IOException {
        List<VectorRecord> records = sample();
        byte[] bytes = write(RecordFileKind.FULL, records);
        int at = indexOf(bytes, "text of doc-00002".getBytes(StandardCharsets.UTF_8));
        bytes[at] = 'T';
        IntegrityException e = assertThrows(IntegrityException.class, () -> readAll(bytes, DIM));
        assertTrue(e.getMessage().contains("SHA-256"), e.getMessage());
        assertNotEquals(e.expected(), e.actual());
    }

    @Test
    void aNaNVectorComponentIsRefusedNamingTheRecordAndIndex() throws IOException {
        List<VectorRecord> records = sample();
        byte[] bytes = write(RecordFileKind.FULL, records);
        VectorRecord target = records.get(2);
        int at = indexOf(bytes, floatBytes(target.vector()));
        ByteBuffer.wrap(bytes, at + 4 * 3, 4).order(ByteOrder.LITTLE_ENDIAN).putFloat(Float.NaN);
        InvalidVectorException e = assertThrows(InvalidVectorException.class, () -> readAll(bytes, DIM));
        assertTrue(e.getMessage().contains(target.id()), e.getMessage());
        assertTrue(e.getMessage().contains("component 3"), e.getMessage());
        assertEquals("NaN", e.actual());
    }

    @Test
    void aRecordCannotHoldAnInfiniteComponent() {
        assertThrows(IllegalArgumentException.class, () -> VectorRecord.of("a", "b", "c", Map.of(), MODEL,
                new float[] {Float.POSITIVE_INFINITY, 0, 0, 0, 0, 0, 0, 0}));
    }

    @Test
    void keysOutOfOrderInAFileAreRefused() throws IOException {
        List<VectorRecord> records = TestData.records(MODEL, "t", 3, 1, Map.of());
        byte[] bytes = write(RecordFileKind.FULL, records);
        // Rename doc-00002 to doc-00000 in place (same length): now a duplicate key, out of order.
        int at = indexOf(bytes, "doc-00002".getBytes(StandardCharsets.UTF_8));
        bytes[at + 8] = '0';
        MalformedArtifactException e = assertThrows(MalformedArtifactException.class, () -> readAll(bytes, DIM));
        assertTrue(e.getMessage().contains("key order"), e.getMessage());
    }

    @Test
    void wrongMagicUnknownVersionAndUnknownKindAreRefused() throws IOException {
        byte[] bytes = write(RecordFileKind.FULL, sample());
        byte[] json = "{\"chunks\": []}".getBytes(StandardCharsets.UTF_8);
        MalformedArtifactException magic = assertThrows(MalformedArtifactException.class,
                () -> readAll(Arrays.copyOf(json, 64), DIM));
        assertTrue(magic.getMessage().contains("magic"), magic.getMessage());

        byte[] v2 = bytes.clone();
        v2[8] = 2;
        UnsupportedFormatException version = assertThrows(UnsupportedFormatException.class, () -> readAll(v2, DIM));
        assertEquals("1", version.expected());
        assertEquals("2", version.actual());

        byte[] kind = bytes.clone();
        kind[10] = 9;
        assertThrows(UnsupportedFormatException.class, () -> readAll(kind, DIM));
    }

    @Test
    void aDeletionInAFullFileIsRefused() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (RecordFileWriter w = new RecordFileWriter(out, "d", RecordFileKind.DELTA, DIM)) {
            w.delete("t", "x");
            w.finish();
        }
        byte[] bytes = out.toByteArray();
        bytes[10] = 1; // claim FULL
        MalformedArtifactException e = assertThrows(MalformedArtifactException.class, () -> readAll(bytes, DIM));
        assertTrue(e.getMessage().contains("deletion"), e.getMessage());
    }

    @Test
    void anAbsurdStringLengthIsRefusedWithoutAllocatingIt() throws IOException {
        List<VectorRecord> records = TestData.records(MODEL, "t", 1, 1, Map.of());
        byte[] bytes = write(RecordFileKind.FULL, records);
        // The first string (the tenant) starts at 17: set its length to 2^31.
        ByteBuffer.wrap(bytes, 17, 4).order(ByteOrder.LITTLE_ENDIAN).putInt(Integer.MIN_VALUE);
        MalformedArtifactException e = assertThrows(MalformedArtifactException.class, () -> readAll(bytes, DIM));
        assertTrue(e.getMessage().contains("tenant length"), e.getMessage());
        assertEquals("2147483648 bytes", e.actual());
    }

    @Test
    void largeTextsBiggerThanTheReadBufferRoundTrip() throws IOException {
        String big = "x".repeat(300_000) + "ü";
        VectorRecord r = VectorRecord.of("t", "big", big, Map.of(), MODEL, TestData.unitVector(new java.util.Random(1), DIM));
        List<RecordEntry> read = readAll(write(RecordFileKind.FULL, List.of(r)), DIM);
        assertEquals(r, ((RecordEntry.Upsert) read.get(0)).record());
    }

    @Test
    void aRefusedRecordLeavesTheFileUsable() throws IOException {
        List<VectorRecord> records = TestData.records(MODEL, "t", 3, 1, Map.of());
        VectorRecord wide = TestData.records(TestData.model(DIM + 1, Similarity.COSINE), "t", 2, 1, Map.of()).get(1);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (RecordFileWriter w = new RecordFileWriter(out, "t", RecordFileKind.FULL, DIM)) {
            w.upsert(records.get(0));
            w.upsert(records.get(1));
            assertThrows(IllegalArgumentException.class, () -> w.upsert(records.get(0)), "out of order");
            assertThrows(DimensionMismatchException.class, () -> w.upsert(wide));
            w.upsert(records.get(2));
            w.finish();
        }
        assertEquals(records, readAll(out.toByteArray(), DIM).stream().map(e -> ((RecordEntry.Upsert) e).record()).toList());
    }

    @Test
    void recordsOverTheFormatsLimitsCannotBeConstructed() {
        float[] v = TestData.unitVector(new java.util.Random(1), DIM);
        IllegalArgumentException value = assertThrows(IllegalArgumentException.class,
                () -> VectorRecord.of("t", "a", "x", Map.of("big", "v".repeat(70_000)), MODEL, v));
        assertTrue(value.getMessage().contains("big") && value.getMessage().contains("65536"), value.getMessage());
        Map<String, String> many = new java.util.HashMap<>();
        for (int i = 0; i < 1025; i++) {
            many.put("k" + i, "v");
        }
        assertThrows(IllegalArgumentException.class, () -> VectorRecord.of("t", "a", "x", many, MODEL, v));
        Map<String, String> large = new java.util.HashMap<>();
        for (int i = 0; i < 20; i++) {
            large.put("k" + i, "v".repeat(60_000));
        }
        IllegalArgumentException total = assertThrows(IllegalArgumentException.class,
                () -> VectorRecord.of("t", "a", "x", large, MODEL, v));
        assertTrue(total.getMessage().contains("metadata size"), total.getMessage());
        assertThrows(IllegalArgumentException.class, () -> VectorRecord.of("t", "a\nb", "x", Map.of(), MODEL, v),
                "control characters in ids");
        assertThrows(IllegalArgumentException.class, () -> VectorRecord.of("", "a", "x", Map.of(), MODEL, v));
        assertThrows(IllegalArgumentException.class, () -> VectorRecord.of("t", "i".repeat(1025), "x", Map.of(), MODEL, v));
    }

    @Test
    void unknownFlagsAndAnUnknownEntryTypeAreRefused() throws IOException {
        byte[] bytes = write(RecordFileKind.FULL, sample());
        byte[] flags = bytes.clone();
        flags[11] = 0x02;
        UnsupportedFormatException f = assertThrows(UnsupportedFormatException.class, () -> readAll(flags, DIM));
        assertTrue(f.getMessage().contains("flags") && f.actual().equals("0x02"), f.getMessage());
        byte[] entry = bytes.clone();
        entry[16] = 0x07;
        MalformedArtifactException e = assertThrows(MalformedArtifactException.class, () -> readAll(entry, DIM));
        assertTrue(e.getMessage().contains("entry type at byte 16") && e.actual().equals("0x07"), e.getMessage());
    }

    @Test
    void invalidUtf8InAStringIsRefused() throws IOException {
        List<VectorRecord> records = TestData.records(MODEL, "t", 1, 1, Map.of());
        byte[] bytes = write(RecordFileKind.FULL, records);
        int at = indexOf(bytes, "text of doc-00000".getBytes(StandardCharsets.UTF_8));
        bytes[at] = (byte) 0xC3; // a lead byte followed by 'e', not a continuation byte
        MalformedArtifactException e = assertThrows(MalformedArtifactException.class, () -> readAll(bytes, DIM));
        assertTrue(e.getMessage().contains("UTF-8"), e.getMessage());
    }

    @Test
    void metadataKeysOutOfOrderAreRefused() throws IOException {
        VectorRecord r = VectorRecord.of("t", "a", "x", Map.of("k1", "v", "k2", "v"), MODEL,
                TestData.unitVector(new java.util.Random(1), DIM));
        byte[] bytes = write(RecordFileKind.FULL, List.of(r));
        int at = indexOf(bytes, "k2".getBytes(StandardCharsets.UTF_8));
        bytes[at + 1] = '0'; // k2 -> k0, now before k1
        MalformedArtifactException e = assertThrows(MalformedArtifactException.class, () -> readAll(bytes, DIM));
        assertTrue(e.getMessage().contains("metadata keys"), e.getMessage());
    }

    @Test
    void trailerCountsThatDisagreeWithTheEntriesAreRefused() throws IOException {
        byte[] bytes = write(RecordFileKind.FULL, sample());
        int countAt = bytes.length - 32 - 16;
        byte[] wrong = bytes.clone();
        wrong[countAt] += 1;
        MalformedArtifactException e = assertThrows(MalformedArtifactException.class, () -> readAll(wrong, DIM));
        assertTrue(e.getMessage().contains("trailer counts"), e.getMessage());
        byte[] huge = bytes.clone();
        huge[countAt + 7] = (byte) 0x80;
        MalformedArtifactException h = assertThrows(MalformedArtifactException.class, () -> readAll(huge, DIM));
        assertTrue(h.getMessage().contains("2^63"), h.getMessage());
    }

    @Test
    void aZeroDimensionInTheHeaderIsRefused() throws IOException {
        byte[] bytes = write(RecordFileKind.FULL, sample());
        ByteBuffer.wrap(bytes, 12, 4).order(ByteOrder.LITTLE_ENDIAN).putInt(0);
        MalformedArtifactException e = assertThrows(MalformedArtifactException.class, () -> readAll(bytes, 0));
        assertTrue(e.getMessage().contains("dimension in header"), e.getMessage());
    }

    @Test
    void deletionsNeedValidKeys() throws IOException {
        try (RecordFileWriter w = new RecordFileWriter(new ByteArrayOutputStream(), "d", RecordFileKind.DELTA, DIM)) {
            assertThrows(IllegalArgumentException.class, () -> w.delete("t", ""));
            assertThrows(IllegalArgumentException.class, () -> w.delete("t", "a\u0001b"));
        }
    }

    @Test
    void unpairedSurrogatesAreRefusedBeforeTheyCanBeWrittenAsQuestionMarks() throws IOException {
        float[] v = TestData.unitVector(new java.util.Random(1), DIM);
        assertThrows(IllegalArgumentException.class, () -> VectorRecord.of("t", "a\uD800", "x", Map.of(), MODEL, v));
        assertThrows(IllegalArgumentException.class, () -> VectorRecord.of("t", "a", "cut emoji \uD83D", Map.of(), MODEL, v));
        assertThrows(IllegalArgumentException.class, () -> VectorRecord.of("t", "a", "x", Map.of("k", "\uDE00"), MODEL, v));
        assertDoesNotThrow(() -> VectorRecord.of("t", "a\uD83D\uDE00", "x", Map.of(), MODEL, v));
        try (RecordFileWriter w = new RecordFileWriter(new ByteArrayOutputStream(), "d", RecordFileKind.DELTA, DIM)) {
            assertThrows(IllegalArgumentException.class, () -> w.delete("t", "x\uDC00"));
        }
    }

    static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }

    private static byte[] floatBytes(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            b.putFloat(f);
        }
        return b.array();
    }
}
