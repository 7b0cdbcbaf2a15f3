package dev.nyla.sync.internal;

import static dev.nyla.sync.internal.RecordFile.*;

import dev.nyla.sync.ContentHash;
import dev.nyla.sync.DimensionMismatchException;
import dev.nyla.sync.InvalidVectorException;
import dev.nyla.sync.RecordKeys;
import dev.nyla.sync.VectorEncoding;
import dev.nyla.sync.VectorRecord;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;

/**
 * Writes a record file (see docs/artifact-format.md): a header, entries in strictly ascending key order
 * (tenant, then id, by code point), and a trailer with counts and a SHA-256 of everything before it.
 *
 * <p>Streaming: memory use is one buffer, whatever the number of records. The writer owns the stream and
 * closes it; a writer closed before {@link #finish()} leaves a file that every reader refuses as truncated.
 */
public final class RecordFileWriter implements Closeable {
    private static final VarHandle FLOAT_LE = MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle SHORT_LE = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final HexFormat HEX = HexFormat.of();

    private final OutputStream out;
    private final String target;
    private final RecordFileKind kind;
    private final int dimension;
    private final VectorEncoding encoding;
    private final MessageDigest sha = dev.nyla.sync.ContentHash.sha256();
    private final byte[] buf;
    private int pos;
    private long upserts;
    private long deletes;
    private String lastTenant;
    private String lastId;
    private boolean finished;
    private boolean closed;

    /**
     * Starts a record file of float32 vectors on {@code out}.
     *
     * @param target    what is being written, for messages
     * @param dimension the length of every vector in the file
     */
    public RecordFileWriter(OutputStream out, String target, RecordFileKind kind, int dimension) throws IOException {
        this(out, target, kind, dimension, VectorEncoding.F32);
    }

    /**
     * Starts a record file on {@code out} whose vectors are stored in {@code encoding}.
     *
     * @param target    what is being written, for messages
     * @param dimension the length of every vector in the file
     */
    public RecordFileWriter(OutputStream out, String target, RecordFileKind kind, int dimension, VectorEncoding encoding)
            throws IOException {
        if (dimension < 1 || dimension > 65_536) {
            throw new IllegalArgumentException("dimension: expected 1..65536 but was " + dimension);
        }
        this.out = out;
        this.target = target;
        this.kind = kind;
        this.dimension = dimension;
        this.encoding = Objects.requireNonNull(encoding, "encoding");
        this.buf = new byte[Math.max(64 << 10, dimension * 4 + 64)];
        ensure(HEADER_BYTES);
        System.arraycopy(MAGIC, 0, buf, 0, MAGIC.length);
        pos = MAGIC.length;
        putU16(FORMAT_VERSION);
        putU8(kind.code);
        putU8(flags(encoding));
        putU32(dimension);
    }

    /**
     * Appends a record. Keys must be strictly ascending.
     *
     * @throws DimensionMismatchException when the vector's length is not the file's dimension
     * @throws InvalidVectorException     when a component does not fit the file's vector encoding (float16
     *                                    holds magnitudes below 65520)
     * @throws IllegalArgumentException   when the key is not after the previous key
     */
    public void upsert(VectorRecord r) throws IOException {
        if (r.vector().length != dimension) {
            throw new DimensionMismatchException(target + ": record " + r.tenant() + "/" + r.id(), dimension,
                    r.vector().length);
        }
        // Finite values, valid Unicode and the size limits are invariants of VectorRecord, checked when it
        // was constructed; only what depends on this file (dimension, order, range) is checked here. The
        // checks come before the first byte is written, so a refused record leaves the file as it was.
        checkOrder(r.tenant(), r.id());
        short[] halves = encoding == VectorEncoding.F16 ? halves(r) : null;
        byte[] tenant = r.tenant().getBytes(StandardCharsets.UTF_8);
        byte[] id = r.id().getBytes(StandardCharsets.UTF_8);
        byte[] text = r.text().getBytes(StandardCharsets.UTF_8);
        Map<String, String> metadata = r.metadata();
        byte[][] meta = new byte[metadata.size() * 2][];
        int i = 0;
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            meta[i++] = e.getKey().getBytes(StandardCharsets.UTF_8);
            meta[i++] = e.getValue().getBytes(StandardCharsets.UTF_8);
        }
        putU8(OP_UPSERT);
        putString(tenant);
        putString(id);
        putString(text);
        putU32(metadata.size());
        for (byte[] m : meta) {
            putString(m);
        }
        putBytes(HEX.parseHex(r.contentHash()));
        ensure(dimension * bytes(encoding));
        if (halves != null) {
            for (short h : halves) {
                SHORT_LE.set(buf, pos, h);
                pos += 2;
            }
        } else {
            float[] v = r.vector();
            for (int d = 0; d < dimension; d++) {
                FLOAT_LE.set(buf, pos, v[d]);
                pos += 4;
            }
        }
        lastTenant = r.tenant();
        lastId = r.id();
        upserts++;
    }

    private short[] halves(VectorRecord r) throws InvalidVectorException {
        float[] v = r.vector();
        short[] out = new short[v.length];
        String subject = target + ": record " + r.tenant() + "/" + r.id();
        for (int d = 0; d < v.length; d++) {
            out[d] = VectorEncoding.toHalf(v[d], subject, d);
        }
        return out;
    }

    /**
     * Appends the deletion of a key. Only delta files hold deletions; keys must be strictly ascending.
     */
    public void delete(String tenant, String id) throws IOException {
        if (kind != RecordFileKind.DELTA) {
            throw new IllegalStateException(target + ": a full record file cannot hold deletions");
        }
        RecordKeys.requireValid(tenant, id);
        checkOrder(tenant, id);
        byte[] t = tenant.getBytes(StandardCharsets.UTF_8);
        byte[] i = id.getBytes(StandardCharsets.UTF_8);
        putU8(OP_DELETE);
        putString(t);
        putString(i);
        lastTenant = tenant;
        lastId = id;
        deletes++;
    }

    /** Records written so far. */
    public long upserts() {
        return upserts;
    }

    /** Deletions written so far. */
    public long deletes() {
        return deletes;
    }

    /** Writes the trailer and flushes; the stream stays open until {@link #close()}. */
    public void finish() throws IOException {
        ensureOpen();
        putU8(OP_END);
        putU64(upserts);
        putU64(deletes);
        flushBuffer();
        byte[] digest = sha.digest();
        out.write(digest);
        out.flush();
        finished = true;
    }

    /** Closes the stream; unless {@link #finish()} was called, what was written is an unusable, truncated file. */
    @Override
    public void close() throws IOException {
        if (!closed) {
            closed = true;
            out.close();
        }
    }

    private void checkOrder(String tenant, String id) throws IOException {
        ensureOpen();
        if (lastTenant != null && RecordKeys.compare(lastTenant, lastId, tenant, id) >= 0) {
            throw new IllegalArgumentException(target + ": keys must be strictly ascending: " + tenant + "/" + id
                    + " after " + lastTenant + "/" + lastId);
        }
    }

    private void ensureOpen() throws IOException {
        if (finished || closed) {
            throw new IOException(target + ": record file is already finished");
        }
    }

    private void putString(byte[] b) throws IOException {
        putU32(b.length);
        putBytes(b);
    }

    private void putBytes(byte[] b) throws IOException {
        int off = 0;
        while (off < b.length) {
            if (pos == buf.length) {
                flushBuffer();
            }
            int n = Math.min(b.length - off, buf.length - pos);
            System.arraycopy(b, off, buf, pos, n);
            pos += n;
            off += n;
        }
    }

    private void putU8(int v) throws IOException {
        ensure(1);
        buf[pos++] = (byte) v;
    }

    private void putU16(int v) throws IOException {
        ensure(2);
        buf[pos++] = (byte) v;
        buf[pos++] = (byte) (v >>> 8);
    }

    private void putU32(long v) throws IOException {
        ensure(4);
        for (int i = 0; i < 4; i++) {
            buf[pos++] = (byte) (v >>> (8 * i));
        }
    }

    private void putU64(long v) throws IOException {
        ensure(8);
        for (int i = 0; i < 8; i++) {
            buf[pos++] = (byte) (v >>> (8 * i));
        }
    }

    private void ensure(int n) throws IOException {
        if (buf.length - pos < n) {
            flushBuffer();
        }
    }

    private void flushBuffer() throws IOException {
        if (pos > 0) {
            sha.update(buf, 0, pos);
            out.write(buf, 0, pos);
            pos = 0;
        }
    }
}
