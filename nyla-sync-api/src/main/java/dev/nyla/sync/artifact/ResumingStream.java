package dev.nyla.sync.artifact;

import dev.nyla.sync.IntegrityException;
import dev.nyla.sync.LimitExceededException;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One payload file of an {@link HttpArtifactSource} as one stream, reconnecting under the hood with
 * {@code Range} and {@code If-Range} as the source's class description says. Each attempt's body is a
 * {@link WatchedBody}; the file's {@link RetryPolicy.Budget} decides whether and when to try again.
 */
final class ResumingStream extends InputStream {
    // The source's logger: an application sets one log level for everything a source does.
    private static final Logger LOG = LoggerFactory.getLogger(HttpArtifactSource.class);
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes\\s+(\\d{1,18})-(\\d{1,18})/(\\d{1,18}|\\*)",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern UNSATISFIED_RANGE = Pattern.compile("bytes\\s+\\*/(\\d{1,18})",
            Pattern.CASE_INSENSITIVE);

    private final SourceRequests requests;
    private final long maxResponseBytes;
    private final Consumer<ResumingStream> onClose;
    private final URI uri;
    private final String url;
    private final RetryPolicy.Budget budget;
    /** Offset in the file of the next byte handed to the consumer. */
    private long position;
    /** The file's size once a response said it, else -1. */
    private long total = -1;
    /** The If-Range value taken from the first response; null when it had no usable validator. */
    private String validator;
    private boolean sawFirstResponse;
    /** Offset in the file at which the current body must end, -1 when unknown. */
    private long expectedEnd = -1;
    private boolean finished;
    private IOException failure;
    private volatile WatchedBody body;
    private volatile boolean closed;

    ResumingStream(SourceRequests requests, RetryPolicy retries, long maxResponseBytes, URI uri, long offset,
                   Consumer<ResumingStream> onClose) {
        this.requests = requests;
        this.maxResponseBytes = maxResponseBytes;
        this.onClose = onClose;
        this.uri = uri;
        this.url = uri.toString();
        this.position = offset;
        this.budget = retries.budget(uri, offset);
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        ensureStreamOpen();
        if (failure != null) {
            throw failure;
        }
        if (len == 0) {
            return 0;
        }
        try {
            return readSomething(b, off, len);
        } catch (IOException | RuntimeException e) {
            // A failure is final: reading on must not start a new round of requests.
            failure = e instanceof IOException io ? io : new IOException(RetryPolicy.reason(e), e);
            throw e;
        }
    }

    private int readSomething(byte[] b, int off, int len) throws IOException {
        while (true) {
            ensureStreamOpen();
            if (finished) {
                return -1;
            }
            WatchedBody current = body;
            if (current == null) {
                connect();
                continue;
            }
            try {
                int n = current.read(b, off, len);
                if (n > 0) {
                    accept(n);
                    return n;
                }
                endOfBody();
            } catch (IOException e) {
                recover(e);
            }
        }
    }

    private void accept(int n) throws IOException {
        long end = position + n;
        if (expectedEnd >= 0 && end > expectedEnd) {
            throw new IntegrityException(url, "response length", "bytes up to " + expectedEnd
                    + " as its headers said", "more");
        }
        if (end > maxResponseBytes) {
            throw new LimitExceededException(url, "size", "at most " + maxResponseBytes + " bytes", "more");
        }
        position = end;
    }

    private void endOfBody() throws IOException {
        detachBody();
        if (expectedEnd >= 0 && position < expectedEnd) {
            throw new EOFException("the response ended at byte " + position + " of the " + expectedEnd
                    + " its headers announced");
        }
        if (total >= 0 && position < total) {
            if (expectedEnd < 0) {
                throw new EOFException("the response ended at byte " + position + " of the " + total
                        + " the file has");
            }
            // The server sent all of a shorter range than asked for (some CDNs cap ranges): not a failure,
            // as it delivered at least one new byte; the loop asks for the rest.
            return;
        }
        finished = true;
    }

    /** Handles a failure of the current attempt: rethrows it, or backs off so the loop reconnects. */
    private void recover(IOException e) throws IOException {
        detachBody();
        if (closed || !RetryPolicy.isRetryable(e)) {
            throw e;
        }
        if (total >= 0 && position >= total) {
            // Every byte arrived; only the end of the exchange failed.
            finished = true;
            return;
        }
        budget.failed(e, position);
    }

    /** Makes requests until one gives a body to read (or shows there is nothing left to read). */
    void connect() throws IOException {
        while (true) {
            ensureStreamOpen();
            try {
                connectOnce();
                return;
            } catch (IOException e) {
                recover(e);
                if (finished) {
                    return;
                }
            }
        }
    }

    private void connectOnce() throws IOException {
        Map<String, String> conditions = new LinkedHashMap<>();
        if (position > 0) {
            conditions.put("Range", "bytes=" + position + "-");
            if (validator != null) {
                conditions.put("If-Range", validator);
            }
        }
        HttpResponse<WatchedBody> response = requests.get(uri, conditions);
        WatchedBody stream = response.body();
        boolean attached = false;
        try {
            int status = response.statusCode();
            switch (status) {
                case 200 -> {
                    SourceRequests.requireIdentityEncoding(uri, response);
                    startWholeFile(response, stream);
                    attached = true;
                    if (position > 0) {
                        skipDelivered(stream);
                    }
                }
                case 206 -> {
                    SourceRequests.requireIdentityEncoding(uri, response);
                    startRange(response, stream);
                    attached = true;
                }
                case 416 -> rangeNotSatisfiable(response);
                default -> throw requests.statusFailure(uri, response);
            }
        } finally {
            if (!attached) {
                stream.cancel();
            }
        }
    }

    private void startWholeFile(HttpResponse<WatchedBody> response, WatchedBody stream) throws IOException {
        long length = SourceRequests.contentLength(response);
        learn(response, length);
        if (length > maxResponseBytes) {
            throw new LimitExceededException(url, "size", "at most " + maxResponseBytes + " bytes",
                    length + " bytes (Content-Length)");
        }
        if (length >= 0 && length < position) {
            throw new IntegrityException(url, "size", "more than the " + position + " bytes already delivered",
                    length + " bytes");
        }
        expectedEnd = length;
        attach(stream);
    }

    /** A 200 to a range request is the whole file again: drop what the consumer already has. */
    private void skipDelivered(WatchedBody stream) throws IOException {
        LOG.info("{}: the server sent the whole file instead of bytes {}-; skipping the bytes already delivered",
                url, position);
        byte[] scratch = new byte[8192];
        long skipped = 0;
        while (skipped < position) {
            int n = stream.read(scratch, 0, (int) Math.min(scratch.length, position - skipped));
            if (n < 0) {
                throw new EOFException("the restarted response ended at byte " + skipped + ", before the "
                        + position + " already delivered");
            }
            skipped += n;
        }
    }

    private void startRange(HttpResponse<WatchedBody> response, WatchedBody stream) throws IOException {
        String header = response.headers().firstValue("Content-Range").orElse(null);
        Matcher m = header == null ? null : CONTENT_RANGE.matcher(header.strip());
        if (m == null || !m.matches()) {
            throw new IntegrityException(url, "Content-Range of the 206 response",
                    "'bytes " + position + "-<last>/<size>'", header == null ? "none" : "'" + header + "'");
        }
        long start = Long.parseLong(m.group(1));
        long last = Long.parseLong(m.group(2));
        long size = "*".equals(m.group(3)) ? -1 : Long.parseLong(m.group(3));
        if (start != position) {
            throw new IntegrityException(url, "Content-Range start", position, start);
        }
        if (last < start || size >= 0 && last >= size) {
            throw new IntegrityException(url, "Content-Range", "a range inside the file", "'" + header + "'");
        }
        learn(response, size);
        long claimed = size >= 0 ? size : last + 1;
        if (claimed > maxResponseBytes) {
            throw new LimitExceededException(url, "size", "at most " + maxResponseBytes + " bytes",
                    claimed + " bytes (Content-Range)");
        }
        expectedEnd = last + 1;
        attach(stream);
    }

    private void rangeNotSatisfiable(HttpResponse<WatchedBody> response) throws IOException {
        String header = response.headers().firstValue("Content-Range").orElse("");
        Matcher m = UNSATISFIED_RANGE.matcher(header.strip());
        long size = m.matches() ? Long.parseLong(m.group(1)) : -1;
        if (size == position && (total < 0 || total == size)) {
            // The caller asked for the end of the file: an empty stream, as a local file would give.
            finished = true;
            return;
        }
        throw new IntegrityException(url, "requested range", "a file longer than " + position + " bytes",
                "HTTP 416" + (header.isEmpty() ? "" : " (Content-Range: " + header + ")"));
    }

    /** Takes the file's size and validator from the first response; checks later ones against them. */
    private void learn(HttpResponse<?> response, long size) throws IntegrityException {
        if (!sawFirstResponse) {
            sawFirstResponse = true;
            total = size;
            validator = validatorOf(response);
            return;
        }
        if (size >= 0 && total >= 0 && size != total) {
            throw new IntegrityException(url, "file size", total + " bytes as first served",
                    size + " bytes (the file changed during the download)");
        }
        if (total < 0) {
            total = size;
        }
    }

    private synchronized void attach(WatchedBody stream) throws IOException {
        if (closed) {
            stream.cancel();
            throw new IOException(url + ": the stream is closed");
        }
        body = stream;
    }

    private synchronized void detachBody() {
        WatchedBody b = body;
        body = null;
        if (b != null) {
            b.cancel();
        }
    }

    private void ensureStreamOpen() throws IOException {
        if (closed) {
            throw new IOException(url + ": the stream is closed");
        }
    }

    /** Cancels the current response, which releases its connection; may be called from any thread. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        detachBody();
        onClose.accept(this);
    }

    /**
     * If-Range needs a strong validator (RFC 9110, 13.1.5): a weak ETag there would make the server send
     * the whole file on every resume, so a weak one gives way to Last-Modified.
     */
    private static String validatorOf(HttpResponse<?> response) {
        Optional<String> etag = response.headers().firstValue("ETag");
        if (etag.isPresent() && !etag.get().startsWith("W/")) {
            return etag.get();
        }
        return response.headers().firstValue("Last-Modified").orElse(null);
    }
}
