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
        int n = in.read(b, off, (int) Math.min(len, max - count + 1));
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
