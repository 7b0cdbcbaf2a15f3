package dev.nyla.sync.internal;

import dev.nyla.sync.LimitExceededException;
import java.io.IOException;
import java.io.InputStream;

/**
 * Fails once more than a set number of bytes has been read: the guard against decompression bombs and
 * endless responses. Unlike {@link VerifyingInputStream} it does not require the stream to reach the limit.
 */
public final class BoundedInputStream extends CheckingFilterStream {
    private final long max;
    private final String source;
    private final String what;
    private long count;

    /**
     * Passes {@code in} through until more than {@code max} bytes were read.
     *
     * @param source what is read, for messages
     * @param what   what the limit is on, for messages (e.g. "decompressed size")
     */
    public BoundedInputStream(InputStream in, long max, String source, String what) {
        super(in);
        if (max < 0 || max >= Long.MAX_VALUE / 2) {
            throw new IllegalArgumentException("limit out of range: " + max);
        }
        this.max = max;
        this.source = source;
        this.what = what;
    }

    /**
     * Reads {@code in} to its end, refusing more than {@code max} bytes (a small file read whole, such as a
     * manifest); closes it.
     *
     * @param name what is read, for messages
     * @throws LimitExceededException when {@code in} holds more than {@code max} bytes
     */
    public static byte[] readAll(InputStream in, long max, String name) throws IOException {
        try (in) {
            byte[] bytes = in.readNBytes((int) Math.min(max, Integer.MAX_VALUE - 9) + 1);
            if (bytes.length > max) {
                throw new LimitExceededException(name, "size", "at most " + max + " bytes", "more");
            }
            return bytes;
        }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        // One byte more than allowed may be read, to detect the excess; max - count + 1 cannot overflow
        // because callers cap max (a manifest declares at most PayloadFile.MAX_SIZE bytes).
        long room = max - count + 1;
        int n = in.read(b, off, (int) Math.min(len, room));
        if (n > 0) {
            count += n;
            if (count > max) {
                throw exceeded();
            }
        }
        return n;
    }

    private LimitExceededException exceeded() {
        return new LimitExceededException(source, what, "at most " + max + " bytes", "more");
    }
}
