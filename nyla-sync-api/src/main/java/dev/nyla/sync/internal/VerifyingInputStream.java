package dev.nyla.sync.internal;

import dev.nyla.sync.ContentHash;
import dev.nyla.sync.IntegrityException;
import dev.nyla.sync.LimitExceededException;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * Passes a payload file through while checking it against its manifest entry: it refuses to deliver a
 * byte beyond the declared size, and at the end of the stream it checks the size and SHA-256. A consumer
 * therefore never sees more than was declared, and learns of any corruption no later than the end. An
 * {@link Observer} may see the same bytes in the same loop, for checks of the file's own format.
 *
 * <p>Reading can start at an offset (to resume a download): the bytes before it must then be fed to
 * {@link #resumeAfter(InputStream, InputStream, long, String, String, Observer)} so the hash (and the
 * observer) covers the whole file.
 */
public final class VerifyingInputStream extends CheckingFilterStream {
    private final String source;
    private final long expectedSize;
    private final String expectedSha256;
    private final MessageDigest sha;
    private final Observer observer;
    private long count;
    private boolean verified;

    private VerifyingInputStream(InputStream in, String source, long expectedSize, String expectedSha256,
                                 MessageDigest sha, Observer observer, long start) {
        super(in);
        this.source = source;
        this.expectedSize = expectedSize;
        this.expectedSha256 = expectedSha256;
        this.sha = sha;
        this.observer = observer;
        this.count = start;
    }

    /** Sees every byte the stream hashes, in order from the file's first byte, in the same pass. */
    @FunctionalInterface
    public interface Observer {
        Observer NONE = (bytes, offset, length) -> {
        };

        void update(byte[] bytes, int offset, int length);
    }

    /**
     * Verifies {@code in} as a stream of exactly {@code size} bytes with the given SHA-256, such as a payload
     * file as its manifest declares it; {@code source} names it in messages.
     */
    public static VerifyingInputStream of(InputStream in, long size, String sha256, String source) {
        return of(in, size, sha256, source, Observer.NONE);
    }

    /** As {@link #of(InputStream, long, String, String)}, showing every byte to {@code observer} as it is hashed. */
    public static VerifyingInputStream of(InputStream in, long size, String sha256, String source, Observer observer) {
        return new VerifyingInputStream(in, source, size, sha256, ContentHash.sha256(), observer, 0);
    }

    /**
     * Verifies {@code rest} as the remainder of a file of {@code size} bytes with the given SHA-256, after the
     * bytes received earlier, which are read (and hashed) from {@code alreadyReceived} to its end first,
     * typically the partial download on disk; {@code observer} sees them too, then the rest as it is read.
     *
     * @throws LimitExceededException when more bytes were already received than the file has
     */
    public static VerifyingInputStream resumeAfter(InputStream alreadyReceived, InputStream rest, long size,
                                                   String sha256, String source, Observer observer)
            throws IOException {
        MessageDigest sha = ContentHash.sha256();
        byte[] buf = new byte[64 << 10];
        long already = 0;
        for (int n; (n = alreadyReceived.read(buf)) > 0; ) {
            already += n;
            if (already > size) {
                throw new LimitExceededException(source, "bytes received before resuming",
                        "at most " + size, "more");
            }
            sha.update(buf, 0, n);
            observer.update(buf, 0, n);
        }
        return new VerifyingInputStream(rest, source, size, sha256, sha, observer, already);
    }

    /** Bytes delivered so far, counting from the start of the file. */
    public long count() {
        return count;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        long allowed = expectedSize - count;
        if (allowed <= 0) {
            // At the declared size: the source must end here too.
            int extra = in.read();
            if (extra >= 0) {
                throw new LimitExceededException(source, "size", expectedSize + " bytes as declared", "more bytes");
            }
            verifyAtEnd();
            return -1;
        }
        int n = in.read(b, off, (int) Math.min(len, allowed));
        if (n < 0) {
            verifyAtEnd();
            return -1;
        }
        sha.update(b, off, n);
        observer.update(b, off, n);
        count += n;
        return n;
    }

    /** Reads to the end, so that the check runs even when the consumer stopped early. */
    public void drainAndVerify() throws IOException {
        drain();
    }

    private void verifyAtEnd() throws IOException {
        if (verified) {
            return;
        }
        if (count != expectedSize) {
            throw new IntegrityException(source, "size", expectedSize + " bytes", count + " bytes (truncated)");
        }
        String actual = HexFormat.of().formatHex(sha.digest());
        if (!actual.equals(expectedSha256)) {
            throw new IntegrityException(source, "sha256", expectedSha256, actual);
        }
        verified = true;
    }
}
