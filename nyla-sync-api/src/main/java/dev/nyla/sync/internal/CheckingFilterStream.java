package dev.nyla.sync.internal;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * A filter stream that checks every byte it passes on (hashes it, counts it). Subclasses implement
 * {@link #read(byte[], int, int)}; everything else goes through it, so that no byte can bypass the check:
 * {@code skip} reads instead of skipping, and mark/reset is not offered.
 */
abstract class CheckingFilterStream extends FilterInputStream {

    CheckingFilterStream(InputStream in) {
        super(in);
    }

    @Override
    public abstract int read(byte[] b, int off, int len) throws IOException;

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n;
        do {
            n = read(one, 0, 1);
        } while (n == 0);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public long skip(long n) throws IOException {
        byte[] tmp = new byte[(int) Math.min(8192, Math.max(n, 1))];
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

    /** Reads to the end of the stream, so that checks made at the end run even when the consumer stopped early. */
    void drain() throws IOException {
        byte[] tmp = new byte[8192];
        while (read(tmp, 0, tmp.length) >= 0) {
            // reading checks
        }
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    @Override
    public synchronized void mark(int readlimit) {
        // not supported: re-reading bytes would check them twice
    }

    @Override
    public synchronized void reset() throws IOException {
        throw new IOException("mark/reset not supported");
    }
}
