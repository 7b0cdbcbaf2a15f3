package dev.nyla.sync.artifact;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Fails once more than a set number of bytes has been read: the guard against decompression bombs and
 * endless responses. Unlike {@link VerifyingInputStream} it does not require the stream to reach the limit.
 */
final class BoundedInputStream extends FilterInputStream {
    private final long max;
    private final String source;
    private final String what;
    private long count;

    BoundedInputStream(InputStream in, long max, String source, String what) {
        super(in);
        if (max < 0 || max >= Long.MAX_VALUE / 2) {
            throw new IllegalArgumentException("limit out of range: " + max);
        }
        this.max = max;
        this.source = source;
        this.what = what;
    }

    @Override
    public int read() throws IOException {
        int b = in.read();
        if (b >= 0 && ++count > max) {
            throw exceeded();
        }
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        // One byte more than allowed may be read, to detect the excess; max - count + 1 cannot overflow
        // because callers cap max (ManifestCodec refuses sizes near Long.MAX_VALUE).
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

    @Override
    public long skip(long n) throws IOException {
        // Skipped bytes count too.
        byte[] tmp = new byte[(int) Math.min(8192, Math.max(1, n))];
        long skipped = 0;
        while (skipped < n) {
            int r = read(tmp, 0, (int) Math.min(tmp.length, n - skipped));
            if (r < 0) {
                break;
            }
            skipped += r;
        }
        return skipped;
    }

    private LimitExceededException exceeded() {
        return new LimitExceededException(source, what, "at most " + max + " bytes", "more");
    }
}
