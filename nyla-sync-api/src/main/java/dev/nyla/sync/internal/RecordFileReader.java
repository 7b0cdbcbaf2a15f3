package dev.nyla.sync.internal;

import static dev.nyla.sync.internal.RecordFile.*;

import dev.nyla.sync.ArtifactException;
import dev.nyla.sync.ContentHash;
import dev.nyla.sync.DimensionMismatchException;
import dev.nyla.sync.IntegrityException;
import dev.nyla.sync.InvalidVectorException;
import dev.nyla.sync.MalformedArtifactException;
import dev.nyla.sync.RecordKeys;
import dev.nyla.sync.UnsupportedFormatException;
import dev.nyla.sync.VectorEncoding;
import dev.nyla.sync.VectorRecord;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Reads a record file (see docs/artifact-format.md) entry by entry, checking everything on the way:
 * magic, format version, vector encoding, dimension, string sizes and UTF-8, key order, finite vectors,
 * the trailer's counts and SHA-256, and that nothing follows the trailer. Memory use is one buffer (plus
 * the record being returned), whatever the file's size. Vectors stored as float16 are widened to float32
 * (exactly: every binary16 value is a binary32 value).
 *
 * <p>Every failure is an {@link ArtifactException} (or {@link DimensionMismatchException},
 * {@link InvalidVectorException}) whose message names the file, the byte offset or record, what was
 * expected and what was found. A file is only known to be intact once {@link #next()} has returned empty.
 */
public final class RecordFileReader implements Closeable {
    private static final VarHandle FLOAT_LE = MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle SHORT_LE = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final HexFormat HEX = HexFormat.of();

    private final InputStream in;
    private final String source;
    private final RecordFileKind kind;
    private final int dimension;
    private final VectorEncoding encoding;
    /** Bytes per vector component in {@link #encoding}. */
    private final int componentBytes;
    private final MessageDigest sha = ContentHash.sha256();
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    private byte[] buf;
    private int pos;
    private int limit;
    /** Buffer bytes before this index are already in {@link #sha}. */
    private int hashedUpTo;
    /** File offset of buf[0]. */
    private long bufferOffset;
    private long upserts;
    private long deletes;
    private String lastTenant;
    private String lastId;
    private boolean done;
    private final EndCheck endCheck;
    /** Whether to check the trailer's SHA-256; off when a caller already verifies every byte of the stream. */
    private final boolean checkTrailerHash;

    /** Checks by the caller that owns the underlying stream. */
    public interface EndCheck {
        /** Runs once the trailer has been verified, given the total number of bytes read. */
        void atEnd(long totalBytes) throws IOException;

        /**
         * Runs when reading failed, before the failure is thrown; may throw a better diagnosis instead
         * (a corrupt download rather than a format error).
         */
        default void onFailure(IOException failure) throws IOException {
        }
    }

    private RecordFileReader(InputStream in, String source, int expectedDimension, VectorEncoding expectedEncoding,
                             EndCheck endCheck, boolean checkTrailerHash) throws IOException {
        this.in = in;
        this.endCheck = endCheck;
        this.checkTrailerHash = checkTrailerHash;
        this.source = source;
        this.buf = new byte[Math.max(64 << 10, expectedDimension * 4 + 64)];
        require(HEADER_BYTES, "the header");
        if (!Arrays.equals(buf, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new MalformedArtifactException(source, "magic bytes", HEX.formatHex(MAGIC) + " (a nyla record file)",
                    HEX.formatHex(buf, 0, MAGIC.length));
        }
        pos = MAGIC.length;
        int version = u16();
        if (version != FORMAT_VERSION) {
            throw new UnsupportedFormatException(source, "record file format version", FORMAT_VERSION, version);
        }
        int kindCode = u8();
        RecordFileKind k = RecordFileKind.fromCode(kindCode);
        if (k == null) {
            throw new UnsupportedFormatException(source, "record file kind", "1 (full) or 2 (delta)", kindCode);
        }
        this.kind = k;
        int flags = u8();
        VectorEncoding e = encoding(flags);
        if (e == null) {
            throw new UnsupportedFormatException(source, "record file flags", "0 (float32 vectors) or 0x01 (float16 vectors)",
                    String.format("0x%02X", flags));
        }
        // The manifest declares the encoding so that a client can refuse one it does not know before
        // downloading; a file that says otherwise does not belong to that manifest.
        if (e != expectedEncoding) {
            throw new MalformedArtifactException(source, "vector encoding in the header flags",
                    expectedEncoding.wireName() + " (as declared)", e.wireName());
        }
        this.encoding = e;
        this.componentBytes = bytes(e);
        long dim = u32();
        if (expectedDimension > 0 && dim != expectedDimension) {
            throw new DimensionMismatchException(source + " (header)", expectedDimension, (int) Math.min(dim, Integer.MAX_VALUE));
        }
        if (dim < 1 || dim > 65_536) {
            throw new MalformedArtifactException(source, "dimension in header", "1..65536", dim);
        }
        this.dimension = (int) dim;
    }

    /**
     * Opens a record file of float32 vectors and reads its header. The reader owns {@code in} and closes it.
     *
     * @param source            what is being read, for messages
     * @param expectedDimension the dimension the caller's model has, or 0 to accept the file's
     * @throws DimensionMismatchException when the file's dimension is not {@code expectedDimension}
     * @throws MalformedArtifactException when the file's vectors are not float32
     */
    public static RecordFileReader open(InputStream in, String source, int expectedDimension) throws IOException {
        return open(in, source, expectedDimension, VectorEncoding.F32);
    }

    /**
     * Opens a record file whose vectors are stored in {@code expectedEncoding} and reads its header. The
     * reader owns {@code in} and closes it.
     *
     * @param source            what is being read, for messages
     * @param expectedDimension the dimension the caller's model has, or 0 to accept the file's
     * @param expectedEncoding  the vector encoding the file must have (a manifest declares it)
     * @throws DimensionMismatchException when the file's dimension is not {@code expectedDimension}
     * @throws MalformedArtifactException when the file's vector encoding is not {@code expectedEncoding}
     */
    public static RecordFileReader open(InputStream in, String source, int expectedDimension,
                                        VectorEncoding expectedEncoding) throws IOException {
        return open(in, source, expectedDimension, expectedEncoding, total -> { }, true);
    }

    /**
     * As {@link #open(InputStream, String, int, VectorEncoding)}, with a check run after the trailer. With
     * {@code checkTrailerHash} false the trailer's SHA-256 is read but not computed: for callers that verify
     * a hash over every byte of the stream themselves (hashing 1.6 GB twice costs a second).
     */
    public static RecordFileReader open(InputStream in, String source, int expectedDimension,
                                        VectorEncoding expectedEncoding, EndCheck endCheck, boolean checkTrailerHash)
            throws IOException {
        try {
            return new RecordFileReader(in, source, expectedDimension, expectedEncoding, endCheck, checkTrailerHash);
        } catch (dev.nyla.sync.NylaSyncException e) {
            try {
                endCheck.onFailure(e);
            } finally {
                in.close();
            }
            throw e;
        } catch (IOException | RuntimeException e) {
            in.close();
            throw e;
        }
    }

    /** Whether this is a full file or a delta. */
    public RecordFileKind kind() {
        return kind;
    }

    /** How the file stores its vectors; {@link RecordEntry.Upsert} records always carry them widened to float32. */
    public VectorEncoding vectorEncoding() {
        return encoding;
    }

    /** The length of every vector in the file. */
    public int dimension() {
        return dimension;
    }

    /** Upserts read so far; after the end, the file's total. */
    public long upserts() {
        return upserts;
    }

    /** Deletions read so far; after the end, the file's total. */
    public long deletes() {
        return deletes;
    }

    /**
     * The next entry, or empty after the last one, once the trailer has been verified and the stream is
     * known to end there.
     */
    public Optional<RecordEntry> next() throws IOException {
        if (done) {
            return Optional.empty();
        }
        try {
            return readEntry();
        } catch (dev.nyla.sync.NylaSyncException e) {
            endCheck.onFailure(e);
            throw e;
        }
    }

    private Optional<RecordEntry> readEntry() throws IOException {
        long entryOffset = offset();
        int op = u8Required("an entry type");
        switch (op) {
            case OP_UPSERT:
                return Optional.of(new RecordEntry.Upsert(readUpsert(entryOffset)));
            case OP_DELETE: {
                if (kind != RecordFileKind.DELTA) {
                    throw new MalformedArtifactException(source, "entry at byte " + entryOffset, "an upsert (a full file has no deletions)",
                            "a deletion");
                }
                String tenant = string(VectorRecord.MAX_TENANT_BYTES, "tenant");
                String id = string(VectorRecord.MAX_ID_BYTES, "id");
                checkOrder(tenant, id, entryOffset);
                deletes++;
                try {
                    return Optional.of(new RecordEntry.Delete(tenant, id));
                } catch (IllegalArgumentException e) {
                    throw new MalformedArtifactException(source + ": deletion at byte " + entryOffset + ": " + e.getMessage(), e);
                }
            }
            case OP_END:
                readTrailer();
                return Optional.empty();
            default:
                throw new MalformedArtifactException(source, "entry type at byte " + entryOffset, "0x01, 0x02 or 0xFF",
                        String.format("0x%02X", op));
        }
    }

    @Override
    public void close() throws IOException {
        in.close();
    }

    private VectorRecord readUpsert(long entryOffset) throws IOException {
        String tenant = string(VectorRecord.MAX_TENANT_BYTES, "tenant");
        String id = string(VectorRecord.MAX_ID_BYTES, "id");
        checkOrder(tenant, id, entryOffset);
        String subject = source + ": record " + tenant + "/" + id;
        String text = string(MAX_TEXT_BYTES, "text");
        long count = u32();
        if (count > MAX_METADATA_ENTRIES) {
            throw new MalformedArtifactException(subject, "metadata entries", "at most " + MAX_METADATA_ENTRIES, count);
        }
        Map<String, String> metadata = count == 0 ? Map.of() : new LinkedHashMap<>();
        String lastKey = null;
        long metadataStart = offset();
        for (long i = 0; i < count; i++) {
            String key = string(MAX_METADATA_BYTES, "metadata key");
            String value = string(MAX_METADATA_BYTES, "metadata value");
            if (offset() - metadataStart > MAX_METADATA_TOTAL_BYTES + 8 * count) {
                throw new MalformedArtifactException(subject, "metadata size", "at most " + MAX_METADATA_TOTAL_BYTES
                        + " bytes", "more");
            }
            if (lastKey != null && RecordKeys.compare(lastKey, key) >= 0) {
                throw new MalformedArtifactException(subject, "metadata keys", "strictly ascending",
                        "'" + key + "' after '" + lastKey + "'");
            }
            lastKey = key;
            metadata.put(key, value);
        }
        require(HASH_BYTES, "a content hash");
        String hash = HEX.formatHex(buf, pos, pos + HASH_BYTES);
        pos += HASH_BYTES;
        require(dimension * componentBytes, "a vector of " + dimension + " " + encoding.wireName() + " values");
        float[] vector = new float[dimension];
        boolean half = encoding == VectorEncoding.F16;
        for (int i = 0; i < dimension; i++) {
            float f = half ? Float.float16ToFloat((short) SHORT_LE.get(buf, pos)) : (float) FLOAT_LE.get(buf, pos);
            if (!Float.isFinite(f)) {
                throw new InvalidVectorException(subject, i, f);
            }
            vector[i] = f;
            pos += componentBytes;
        }
        upserts++;
        try {
            return new VectorRecord(tenant, id, text, metadata, hash, vector);
        } catch (IllegalArgumentException e) {
            throw new MalformedArtifactException(source + ": record at byte " + entryOffset + ": " + e.getMessage(), e);
        }
    }

    private void readTrailer() throws IOException {
        long upsertCount = u64("the upsert count");
        long deleteCount = u64("the deletion count");
        if (upsertCount != upserts || deleteCount != deletes) {
            throw new MalformedArtifactException(source, "trailer counts (upserts, deletions)",
                    "(" + upserts + ", " + deletes + ") as read", "(" + upsertCount + ", " + deleteCount + ")");
        }
        hashConsumed();
        byte[] expected = checkTrailerHash ? sha.digest() : null;
        require(HASH_BYTES, "the trailer checksum");
        byte[] actual = Arrays.copyOfRange(buf, pos, pos + HASH_BYTES);
        pos += HASH_BYTES;
        if (checkTrailerHash && !Arrays.equals(expected, actual)) {
            throw new IntegrityException(source, "trailer SHA-256 of the content", HEX.formatHex(expected), HEX.formatHex(actual));
        }
        if (pos < limit || in.read() != -1) {
            throw new MalformedArtifactException(source, "content after the trailer", "end of file at byte " + offset(),
                    "more bytes (over-long stream)");
        }
        endCheck.atEnd(offset());
        done = true;
    }

    private void checkOrder(String tenant, String id, long entryOffset) throws MalformedArtifactException {
        if (lastTenant != null && RecordKeys.compare(lastTenant, lastId, tenant, id) >= 0) {
            throw new MalformedArtifactException(source, "key order at byte " + entryOffset,
                    "a key after " + lastTenant + "/" + lastId, tenant + "/" + id);
        }
        lastTenant = tenant;
        lastId = id;
    }

    private String string(int maxBytes, String what) throws IOException {
        long n = u32();
        if (n > maxBytes) {
            throw new MalformedArtifactException(source, what + " length at byte " + (offset() - 4),
                    "at most " + maxBytes + " bytes", n + " bytes");
        }
        int len = (int) n;
        if (len <= buf.length) {
            require(len, what);
            String s = decode(buf, pos, len, what);
            pos += len;
            return s;
        }
        // Longer than the buffer (a large text): read it into its own array.
        byte[] big = new byte[len];
        int have = 0;
        while (have < len) {
            if (pos == limit) {
                fill(1, what);
            }
            int take = Math.min(len - have, limit - pos);
            System.arraycopy(buf, pos, big, have, take);
            pos += take;
            have += take;
        }
        return decode(big, 0, len, what);
    }

    private String decode(byte[] b, int off, int len, String what) throws MalformedArtifactException {
        boolean ascii = true;
        for (int i = off; i < off + len; i++) {
            if (b[i] < 0) {
                ascii = false;
                break;
            }
        }
        if (ascii) {
            return new String(b, off, len, StandardCharsets.ISO_8859_1);
        }
        try {
            return utf8.reset().decode(ByteBuffer.wrap(b, off, len)).toString();
        } catch (CharacterCodingException e) {
            throw new MalformedArtifactException(source, what + " near byte " + offset(), "valid UTF-8", "invalid bytes");
        }
    }

    private int u8Required(String what) throws IOException {
        require(1, what);
        return buf[pos++] & 0xff;
    }

    private int u8() throws IOException {
        return u8Required("a byte");
    }

    private int u16() throws IOException {
        require(2, "a 16-bit value");
        int v = (buf[pos] & 0xff) | (buf[pos + 1] & 0xff) << 8;
        pos += 2;
        return v;
    }

    private long u32() throws IOException {
        require(4, "a 32-bit value");
        long v = 0;
        for (int i = 0; i < 4; i++) {
            v |= (long) (buf[pos + i] & 0xff) << (8 * i);
        }
        pos += 4;
        return v;
    }

    private long u64(String what) throws IOException {
        require(8, what);
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v |= (long) (buf[pos + i] & 0xff) << (8 * i);
        }
        pos += 8;
        if (v < 0) {
            throw new MalformedArtifactException(source, what, "a count below 2^63", Long.toUnsignedString(v));
        }
        return v;
    }

    private long offset() {
        return bufferOffset + pos;
    }

    /** Makes {@code n} bytes available at {@code pos}, or fails with a "truncated" error naming {@code what}. */
    private void require(int n, String what) throws IOException {
        if (limit - pos < n) {
            fill(n, what);
        }
    }

    private void fill(int n, String what) throws IOException {
        hashConsumed();
        if (n > buf.length) {
            buf = Arrays.copyOf(buf, n + 64);
        }
        int remaining = limit - pos;
        System.arraycopy(buf, pos, buf, 0, remaining);
        bufferOffset += pos;
        pos = 0;
        hashedUpTo = 0;
        limit = remaining;
        while (limit < n) {
            int r = in.read(buf, limit, buf.length - limit);
            if (r < 0) {
                throw new MalformedArtifactException(source, "length", "more bytes for " + what + " at byte " + offset(),
                        "end of stream after " + (bufferOffset + limit) + " bytes (truncated)");
            }
            limit += r;
        }
    }

    private void hashConsumed() {
        if (checkTrailerHash && pos > hashedUpTo) {
            sha.update(buf, hashedUpTo, pos - hashedUpTo);
            hashedUpTo = pos;
        }
    }
}
