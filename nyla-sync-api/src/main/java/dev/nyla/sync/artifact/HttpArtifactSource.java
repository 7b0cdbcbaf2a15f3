package dev.nyla.sync.artifact;

import dev.nyla.sync.internal.Backoff;
import dev.nyla.sync.IntegrityException;
import dev.nyla.sync.LimitExceededException;
import dev.nyla.sync.NylaSyncException;
import dev.nyla.sync.UnsafeFileNameException;
import dev.nyla.sync.internal.FileNames;
import dev.nyla.sync.internal.VerifyingInputStream;
import dev.nyla.sync.store.Payload;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link ArtifactSource} on a static HTTP(S) host or CDN, laid out as a publisher writes it:
 * {@code manifest.json}, {@code manifest.json.sig} and the payload files under one base URL. It uses only
 * the JDK's {@link HttpClient}.
 *
 * <pre>{@code
 * try (ArtifactSource source = HttpArtifactSource.builder(URI.create("https://cdn.example.com/kb/"))
 *         .header("Authorization", "Bearer " + token)
 *         .build()) {
 *     ManifestResponse r = source.fetchManifest(ManifestRequest.ifNoneMatch(etag));
 * }
 * }</pre>
 *
 * <p><b>Manifest.</b> Fetched conditionally with {@code If-None-Match}; a {@code 304} gives
 * {@link ManifestResponse.NotModified}. Both the manifest and its signature are read with a cap, refused
 * early when {@code Content-Length} is above it and counted while reading otherwise.
 *
 * <p><b>Payload files.</b> {@link #open(String, long)} returns a stream that survives a flaky network: when
 * the connection fails, the body ends before the length its headers announced, or no byte arrives for the
 * {@linkplain Builder#stallTimeout(Duration) stall timeout}, it reconnects with {@code Range} (and
 * {@code If-Range} carrying the first response's strong ETag, or its {@code Last-Modified} when it had
 * none) and carries on, so the consumer sees one continuous stream. A server that answers a range request
 * with the whole file ({@code 200}) is handled by discarding the bytes already delivered. A {@code 206}
 * whose {@code Content-Range} does not start at the requested byte, a file whose size changes between
 * responses, and a {@code 416} for a range inside what the caller asked for fail with
 * {@link IntegrityException}; {@code 404} and {@code 410} with {@link FileNotFoundException}. None of these
 * is retried, nor is any other {@code 4xx} except {@code 408} and {@code 429}: those, {@code 5xx}, I/O
 * errors, timeouts, stalls and early ends are. The stream moves bytes and checks only what the HTTP
 * headers promise; the caller verifies the file against its manifest entry (size and SHA-256, e.g. with
 * {@link VerifyingInputStream}), which also catches a file replaced by another of the same size between
 * two requests of a host that gives no validator.
 *
 * <p><b>Redirects</b> are followed by the source itself, not by the {@link HttpClient}, so that the rules
 * hold on every JDK: {@code 301}, {@code 302}, {@code 303}, {@code 307} and {@code 308}, at most five in a
 * row, to a {@code Location} resolved against the URL that answered, never from https down to http. The
 * headers set with {@link Builder#header(String, String)} go to the base URL's origin (scheme, host and
 * port) only: once a redirect leaves that origin, the rest of the chain carries none of them, so a CDN or
 * storage host the files are redirected to never sees the credentials. A redirect that may not be followed
 * fails with {@link SourceUnavailableException} without retrying.
 *
 * <p><b>Retry budget.</b> Each {@code fetchManifest} file and each opened stream has a budget of
 * {@linkplain Builder#maxAttempts(int) maxAttempts} attempts in a row, spent across all the reconnections
 * of the stream, with exponential back-off and full jitter in between: before attempt <i>n</i>+1 it sleeps
 * a random time in {@code [0, min(maxBackoff, initialBackoff * 2^(n-1))]}. Whenever a failed attempt had
 * delivered new bytes, the count starts again, so a long download over a link that drops every few minutes
 * completes, while a host that delivers nothing fails after {@code maxAttempts} requests with
 * {@link SourceUnavailableException}. Since every counted restart delivered at least one new byte of a
 * file no larger than {@linkplain Builder#maxResponseBytes(long) maxResponseBytes}, the download still
 * ends. Every retry is logged at WARN with the URL, the attempt and the reason.
 *
 * <p><b>Throttling.</b> A {@code 429 Too Many Requests}, or a {@code 503} with {@code Retry-After}, asks the
 * source to slow down. The next attempt waits the {@code Retry-After} (delta-seconds, or an HTTP-date taken
 * relative to the response's {@code Date}) when it is longer than the back-off, and the wait holds back
 * every request of the source, not only the one answered; throttling answers count in a row across the
 * source. A wait longer than {@linkplain Builder#maxBackoff(Duration) maxBackoff} is not waited for: the
 * source gives up at once with {@link SourceUnavailableException} naming the status, the
 * {@code Retry-After} and when to try again, and so it does at {@code maxAttempts} throttling answers in a
 * row. It then sends no request before that time (each fails at once with the same exception), so a
 * rate-limiting CDN gets at most {@code maxAttempts} requests per wait however many files are open.
 *
 * <p>The source is safe for use by several threads; each stream it returns is for one reading thread
 * (closing it from another thread is allowed). {@link #close()} closes the streams still open and, when the
 * source created its own {@link HttpClient}, that client too.
 */
public final class HttpArtifactSource implements ArtifactSource {
    private static final Logger LOG = LoggerFactory.getLogger(HttpArtifactSource.class);

    private static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration DEFAULT_STALL_TIMEOUT = Duration.ofSeconds(30);
    private static final int DEFAULT_MAX_ATTEMPTS = 6;
    private static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofMillis(250);
    private static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(30);
    private static final long DEFAULT_MAX_RESPONSE_BYTES = 1L << 40;

    /** Headers this class sets itself; a caller's own value would contradict them. */
    private static final Set<String> MANAGED_HEADERS = Set.of("range", "if-range", "if-none-match",
            "accept-encoding");
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes\\s+(\\d{1,18})-(\\d{1,18})/(\\d{1,18}|\\*)",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern UNSATISFIED_RANGE = Pattern.compile("bytes\\s+\\*/(\\d{1,18})",
            Pattern.CASE_INSENSITIVE);

    private final URI base;
    private final HttpClient client;
    private final boolean ownsClient;
    private final Duration requestTimeout;
    private final Duration stallTimeout;
    private final int maxAttempts;
    private final long initialBackoffNanos;
    private final long maxBackoffNanos;
    private final List<Header> headers;
    private final Redirects redirects;
    private final SourceClock clock;
    private final Throttle throttle;
    private final long maxResponseBytes;
    private final Set<ResumingStream> openStreams = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();

    private HttpArtifactSource(Builder b, URI base, HttpClient client, boolean ownsClient) {
        this.base = base;
        this.client = client;
        this.ownsClient = ownsClient;
        this.requestTimeout = b.requestTimeout;
        this.stallTimeout = b.stallTimeout;
        this.maxAttempts = b.maxAttempts;
        this.initialBackoffNanos = nanos(b.initialBackoff);
        this.maxBackoffNanos = nanos(b.maxBackoff);
        this.headers = List.copyOf(b.headers);
        this.redirects = new Redirects(base);
        this.clock = b.clock;
        this.throttle = new Throttle(b.clock, b.maxAttempts, b.maxBackoff);
        this.maxResponseBytes = b.maxResponseBytes;
    }

    /**
     * Starts configuring a source on {@code baseUri}, the URL of the directory holding
     * {@code manifest.json}. A missing trailing slash is added, so {@code https://host/kb} and
     * {@code https://host/kb/} mean the same.
     */
    public static Builder builder(URI baseUri) {
        return new Builder(Objects.requireNonNull(baseUri, "baseUri"));
    }

    /** The base URL, always ending with a slash. */
    @Override
    public String describe() {
        return base.toString();
    }

    /**
     * {@inheritDoc}
     *
     * <p>The ETag returned is the manifest response's {@code ETag} header exactly as sent (empty when the
     * host sends none). The signature is fetched only when the manifest was.
     *
     * @throws SourceUnavailableException when the host kept failing or refused the request
     */
    @Override
    public ManifestResponse fetchManifest(ManifestRequest request) throws IOException {
        Objects.requireNonNull(request, "request");
        ensureOpen();
        Optional<SmallFile> manifest = fetchSmall(base.resolve(Manifest.FILE_NAME), request.maxBytes(),
                request.ifNoneMatch());
        if (manifest.isEmpty()) {
            return new ManifestResponse.NotModified();
        }
        SmallFile signature = fetchSmall(base.resolve(Manifest.SIGNATURE_FILE_NAME), Manifest.MAX_SIGNATURE_BYTES, "")
                .orElseThrow();
        return new ManifestResponse.Fetched(manifest.get().bytes(), signature.bytes(), manifest.get().etag());
    }

    /**
     * {@inheritDoc}
     *
     * <p>The first request is made before this method returns, so a missing file, a refused request or a
     * response above {@link Builder#maxResponseBytes(long)} fails here. The stream then reconnects by
     * itself as the class description explains. Asking for {@code offset} equal to the file's size gives an
     * empty stream.
     *
     * @throws UnsafeFileNameException    when {@code fileName} is not a plain file name (no request is made)
     * @throws LimitExceededException     when the file is larger than {@code maxResponseBytes}
     * @throws IntegrityException         when a response contradicts the request or an earlier response
     * @throws SourceUnavailableException when the host kept failing or refused the request
     */
    @Override
    public InputStream open(String fileName, long offset) throws IOException {
        FileNames.requireSafe(fileName, describe() + ": requested file");
        if (offset < 0) {
            throw new IllegalArgumentException("offset: expected >= 0 but was " + offset);
        }
        ensureOpen();
        URI uri = base.resolve(fileName);
        // A safe name has no separator, colon or dot-segment, so resolving can only append it; check anyway,
        // as DirectoryArtifactSource does for paths.
        if (!uri.toString().equals(base + fileName)) {
            throw new UnsafeFileNameException(describe() + ": requested file", "resolved URL",
                    "a file directly under " + base, uri);
        }
        ResumingStream stream = new ResumingStream(uri, offset);
        openStreams.add(stream);
        try {
            stream.connect();
        } catch (IOException | RuntimeException e) {
            stream.close();
            throw e;
        }
        return stream;
    }

    /**
     * Closes the streams this source opened that are still open, and the {@link HttpClient} when the
     * source created it (a client passed to {@link Builder#httpClient(HttpClient)} belongs to the caller
     * and stays open). Waits for the client's exchanges to end, which closing the streams ensures.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        for (ResumingStream s : openStreams) {
            s.close();
        }
        if (ownsClient) {
            client.close();
        }
    }

    private void ensureOpen() throws IOException {
        if (closed.get()) {
            throw new IOException(describe() + ": the source is closed");
        }
    }

    // ---- manifest and signature ------------------------------------------------------------------------

    private record SmallFile(byte[] bytes, String etag) {
    }

    /** The file, or empty when {@code ifNoneMatch} still matches. */
    private Optional<SmallFile> fetchSmall(URI uri, long max, String ifNoneMatch) throws IOException {
        RetryBudget budget = new RetryBudget(uri, 0);
        while (true) {
            try {
                return fetchSmallOnce(uri, max, ifNoneMatch);
            } catch (IOException e) {
                if (closed.get() || !isRetryable(e)) {
                    throw e;
                }
                budget.failed(e, 0);
            }
        }
    }

    private Optional<SmallFile> fetchSmallOnce(URI uri, long max, String ifNoneMatch) throws IOException {
        HttpResponse<BodyStream> response = get(uri, ifNoneMatch.isEmpty() ? Map.of()
                : Map.of("If-None-Match", ifNoneMatch));
        BodyStream body = response.body();
        try {
            int status = response.statusCode();
            if (status == 304 && !ifNoneMatch.isEmpty()) {
                return Optional.empty();
            }
            if (status != 200) {
                throw statusFailure(uri, response);
            }
            requireIdentityEncoding(uri, response);
            long declared = contentLength(response);
            if (declared > max) {
                throw new LimitExceededException(uri.toString(), "size", "at most " + max + " bytes",
                        declared + " bytes (Content-Length)");
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(declared >= 0 ? declared : 8192,
                    1 << 20));
            byte[] buffer = new byte[8192];
            long count = 0;
            for (int n; (n = body.read(buffer, 0, buffer.length)) >= 0; ) {
                count += n;
                if (count > max) {
                    throw new LimitExceededException(uri.toString(), "size", "at most " + max + " bytes", "more");
                }
                out.write(buffer, 0, n);
            }
            if (declared >= 0 && count != declared) {
                throw new EOFException("the response ended after " + count + " of " + declared + " bytes");
            }
            return Optional.of(new SmallFile(out.toByteArray(), response.headers().firstValue("ETag").orElse("")));
        } finally {
            body.cancel();
        }
    }

    // ---- requests ----------------------------------------------------------------------------------------

    /**
     * Sends a GET for {@code uri} with the headers the source manages for it, following redirects as
     * {@link Redirects} allows; the configured headers go along only while the chain stays in the base's
     * origin. Returns the first response that is not a redirect.
     */
    private HttpResponse<BodyStream> get(URI uri, Map<String, String> managed) throws IOException {
        URI target = uri;
        boolean withHeaders = true;
        for (int followed = 0; ; followed++) {
            throttle.awaitTurn(target);
            withHeaders &= redirects.sameOriginAsBase(target);
            // No HttpRequest.timeout: send() times the wait for the headers itself, so that the body is
            // governed by the stall watchdog alone, whatever a JDK version makes the request timeout cover.
            HttpRequest.Builder b = HttpRequest.newBuilder(target).GET().header("Accept-Encoding", "identity");
            managed.forEach(b::header);
            if (withHeaders) {
                for (Header h : headers) {
                    b.header(h.name(), h.value());
                }
            }
            HttpResponse<BodyStream> response = send(b.build());
            if (!isThrottling(response)) {
                throttle.passed();
            }
            if (!Redirects.isRedirect(response.statusCode())) {
                return response;
            }
            response.body().cancel();
            target = redirects.next(target, response.statusCode(), response.headers().firstValue("Location"),
                    followed);
        }
    }

    /** Sends {@code request} and waits up to the request timeout for the response headers. */
    private HttpResponse<BodyStream> send(HttpRequest request) throws IOException {
        AtomicReference<BodyStream> created = new AtomicReference<>();
        AtomicBoolean abandoned = new AtomicBoolean();
        CompletableFuture<HttpResponse<BodyStream>> future = client.sendAsync(request, info -> {
            BodyStream body = new BodyStream(stallTimeout);
            created.set(body);
            // Paired with abandon(): whichever runs second sees the other, so a body that arrives after we
            // gave up is cancelled and does not hold its connection.
            if (abandoned.get()) {
                body.cancel();
            }
            return body;
        });
        try {
            return future.get(nanos(requestTimeout), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            abandon(future, created, abandoned);
            throw new HttpTimeoutException("no response headers within " + requestTimeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            abandon(future, created, abandoned);
            Thread.currentThread().interrupt();
            throw new InterruptedIOException(request.uri() + ": interrupted while waiting for the response");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IOException(reason(cause), cause);
        }
    }

    private static void abandon(CompletableFuture<?> future, AtomicReference<BodyStream> created,
                                AtomicBoolean abandoned) {
        abandoned.set(true);
        future.cancel(true);
        BodyStream body = created.get();
        if (body != null) {
            body.cancel();
        }
    }

    /** Whether the host asks the source to slow down: 429, or 503 with the time to come back. */
    private static boolean isThrottling(HttpResponse<?> response) {
        int status = response.statusCode();
        return status == 429 || status == 503 && response.headers().firstValue("Retry-After").isPresent();
    }

    /** The exception for a status that is neither success nor handled by the caller. */
    private IOException statusFailure(URI uri, HttpResponse<?> response) {
        int status = response.statusCode();
        if (status == 404 || status == 410) {
            return new FileNotFoundException(uri + ": not found (HTTP " + status + ")");
        }
        if (isThrottling(response)) {
            Optional<String> header = response.headers().firstValue("Retry-After");
            Optional<Duration> wait = header.flatMap(h -> RetryAfter.parse(h, response.headers().firstValue("Date"),
                    clock.now()));
            return new ThrottledException(status, header.orElse(null), wait.orElse(null));
        }
        if (status == 408 || status >= 500) {
            return new IOException("HTTP " + status);
        }
        return new SourceUnavailableException(uri + ": HTTP " + status
                + " (not retried: check the source's address and credentials)");
    }

    private static void requireIdentityEncoding(URI uri, HttpResponse<?> response) throws IntegrityException {
        Optional<String> encoding = response.headers().firstValue("Content-Encoding");
        if (encoding.isPresent() && !encoding.get().isBlank() && !encoding.get().strip().equalsIgnoreCase("identity")) {
            throw new IntegrityException(uri.toString(), "Content-Encoding", "identity, as requested",
                    "'" + encoding.get() + "'");
        }
    }

    /** The Content-Length, or -1 when the response has none (or a malformed one). */
    private static long contentLength(HttpResponse<?> response) {
        try {
            OptionalLong length = response.headers().firstValueAsLong("Content-Length");
            return length.isPresent() && length.getAsLong() >= 0 ? length.getAsLong() : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * Whether {@code e} may go away by trying again. Typed failures (integrity, limits, refusals), a
     * missing file and an interrupted thread are final.
     */
    private static boolean isRetryable(IOException e) {
        if (e instanceof NylaSyncException || e instanceof FileNotFoundException) {
            return false;
        }
        return !(e instanceof InterruptedIOException && Thread.currentThread().isInterrupted());
    }

    private static String reason(Throwable t) {
        String message = t.getMessage();
        if (message == null || message.isBlank()) {
            return t.getClass().getSimpleName();
        }
        return t.getClass() == IOException.class ? message : t.getClass().getSimpleName() + ": " + message;
    }

    private static long nanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    // ---- retries -----------------------------------------------------------------------------------------

    /**
     * Counts failed attempts in a row for one file. A failure after new bytes arrived starts the count
     * again (see the class description).
     */
    private final class RetryBudget {
        private final URI uri;
        private int failuresInARow;
        private long positionAtLastFailure;

        RetryBudget(URI uri, long start) {
            this.uri = uri;
            this.positionAtLastFailure = start;
        }

        /** Records a retryable failure at {@code position}; backs off, or throws when the budget is spent. */
        void failed(IOException cause, long position) throws IOException {
            if (position > positionAtLastFailure) {
                failuresInARow = 0;
            }
            positionAtLastFailure = position;
            failuresInARow++;
            String at = position > 0 ? " at byte " + position : "";
            long pause = Backoff.fullJitter(failuresInARow, initialBackoffNanos, maxBackoffNanos);
            if (cause instanceof ThrottledException throttled) {
                // The wait is the source's, not this request's: the next request of any stream waits it out.
                Duration wait = throttle.throttled(uri, throttled, Duration.ofNanos(pause),
                        failuresInARow >= maxAttempts);
                LOG.warn("{}: attempt {} of {}{}: {}; retrying in {} ms as the host asked", uri, failuresInARow,
                        maxAttempts, at, throttled.answer(), wait.toMillis());
                return;
            }
            if (failuresInARow >= maxAttempts) {
                throw new SourceUnavailableException(uri + ": gave up after " + failuresInARow
                        + (failuresInARow == 1 ? " attempt" : " attempts") + " in a row without progress" + at
                        + "; last failure: " + reason(cause), cause);
            }
            LOG.warn("{}: attempt {} of {} failed{} ({}); retrying in {} ms", uri, failuresInARow, maxAttempts, at,
                    reason(cause), TimeUnit.NANOSECONDS.toMillis(pause));
            try {
                clock.sleep(Duration.ofNanos(pause));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException(uri + ": interrupted while waiting to retry");
            }
        }
    }

    // ---- payload streams ---------------------------------------------------------------------------------

    /** One payload file as one stream, reconnecting under the hood. */
    private final class ResumingStream extends InputStream {
        private final URI uri;
        private final String url;
        private final RetryBudget budget;
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
        private volatile BodyStream body;
        private volatile boolean closed;

        ResumingStream(URI uri, long offset) {
            this.uri = uri;
            this.url = uri.toString();
            this.position = offset;
            this.budget = new RetryBudget(uri, offset);
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
                failure = e instanceof IOException io ? io : new IOException(reason(e), e);
                throw e;
            }
        }

        private int readSomething(byte[] b, int off, int len) throws IOException {
            while (true) {
                ensureStreamOpen();
                if (finished) {
                    return -1;
                }
                BodyStream current = body;
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
            if (closed || !isRetryable(e)) {
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
            HttpResponse<BodyStream> response = get(uri, conditions);
            BodyStream stream = response.body();
            boolean attached = false;
            try {
                int status = response.statusCode();
                switch (status) {
                    case 200 -> {
                        requireIdentityEncoding(uri, response);
                        startWholeFile(response, stream);
                        attached = true;
                        if (position > 0) {
                            skipDelivered(stream);
                        }
                    }
                    case 206 -> {
                        requireIdentityEncoding(uri, response);
                        startRange(response, stream);
                        attached = true;
                    }
                    case 416 -> rangeNotSatisfiable(response);
                    default -> throw statusFailure(uri, response);
                }
            } finally {
                if (!attached) {
                    stream.cancel();
                }
            }
        }

        private void startWholeFile(HttpResponse<BodyStream> response, BodyStream stream) throws IOException {
            long length = contentLength(response);
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
        private void skipDelivered(BodyStream stream) throws IOException {
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

        private void startRange(HttpResponse<BodyStream> response, BodyStream stream) throws IOException {
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

        private void rangeNotSatisfiable(HttpResponse<BodyStream> response) throws IOException {
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

        private synchronized void attach(BodyStream stream) throws IOException {
            if (closed) {
                stream.cancel();
                throw new IOException(url + ": the stream is closed");
            }
            body = stream;
        }

        private synchronized void detachBody() {
            BodyStream b = body;
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
            openStreams.remove(this);
        }
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

    /**
     * One response body, handed from the HTTP client's threads to the reading thread through a small queue.
     * Demand is one list of buffers at a time (the next is requested when one is taken), so at most two
     * lists are held whatever the pace of the consumer. The reader waits with a timed poll, so a server that
     * stops sending is noticed after the stall timeout without closing a blocked read from another thread,
     * which may not wake it.
     */
    private static final class BodyStream implements HttpResponse.BodySubscriber<BodyStream> {
        private sealed interface Signal permits Data, End, Failed, Cancelled {
        }

        private record Data(List<ByteBuffer> buffers) implements Signal {
        }

        private record End() implements Signal {
        }

        private record Failed(Throwable error) implements Signal {
        }

        private record Cancelled() implements Signal {
        }

        // Room for the one list that can be outstanding, the terminal signal and the cancellation.
        private final BlockingQueue<Signal> queue = new ArrayBlockingQueue<>(4);
        private final Duration stallTimeout;
        private Flow.Subscription subscription; // guarded by this
        private boolean cancelled; // guarded by this
        private List<ByteBuffer> current = List.of();
        private int index;
        private boolean ended;
        private IOException failure;

        BodyStream(Duration stallTimeout) {
            this.stallTimeout = stallTimeout;
        }

        @Override
        public CompletionStage<BodyStream> getBody() {
            return CompletableFuture.completedFuture(this);
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            boolean accept;
            synchronized (this) {
                accept = subscription == null && !cancelled;
                if (accept) {
                    subscription = s;
                }
            }
            if (accept) {
                s.request(1);
            } else {
                s.cancel();
            }
        }

        @Override
        public void onNext(List<ByteBuffer> item) {
            queue.offer(new Data(item));
        }

        @Override
        public void onError(Throwable throwable) {
            queue.offer(new Failed(throwable));
        }

        @Override
        public void onComplete() {
            queue.offer(new End());
        }

        /** Reads up to {@code len} bytes: at least one, or -1 at the end of the body. */
        int read(byte[] b, int off, int len) throws IOException {
            while (true) {
                if (failure != null) {
                    throw failure;
                }
                while (index < current.size()) {
                    ByteBuffer buffer = current.get(index);
                    if (buffer.hasRemaining()) {
                        int n = Math.min(len, buffer.remaining());
                        buffer.get(b, off, n);
                        return n;
                    }
                    index++;
                }
                if (ended) {
                    return -1;
                }
                Signal signal;
                try {
                    signal = queue.poll(nanos(stallTimeout), TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    cancel();
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while waiting for data");
                }
                switch (signal) {
                    case null -> {
                        cancel();
                        failure = new HttpTimeoutException("stalled: no data for " + stallTimeout.toMillis() + " ms");
                    }
                    case Data d -> {
                        current = d.buffers();
                        index = 0;
                        requestNext();
                    }
                    case End e -> ended = true;
                    case Failed f -> failure = f.error() instanceof IOException io
                            ? new IOException(reason(io), io) : new IOException(reason(f.error()), f.error());
                    case Cancelled c -> failure = new IOException("the response was cancelled");
                }
            }
        }

        private void requestNext() {
            Flow.Subscription s;
            synchronized (this) {
                s = cancelled ? null : subscription;
            }
            if (s != null) {
                s.request(1);
            }
        }

        /** Stops the body and releases its connection; wakes a reader waiting for data. Idempotent. */
        void cancel() {
            Flow.Subscription s;
            synchronized (this) {
                if (cancelled) {
                    return;
                }
                cancelled = true;
                s = subscription;
            }
            if (s != null) {
                s.cancel();
            }
            queue.offer(new Cancelled());
        }
    }

    private record Header(String name, String value) {
    }

    /**
     * Configures an {@link HttpArtifactSource}; every setting has a default, and {@link #build()} checks
     * them all.
     */
    public static final class Builder {
        private final URI baseUri;
        private HttpClient httpClient;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private boolean connectTimeoutSet;
        private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
        private Duration stallTimeout = DEFAULT_STALL_TIMEOUT;
        private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
        private Duration initialBackoff = DEFAULT_INITIAL_BACKOFF;
        private Duration maxBackoff = DEFAULT_MAX_BACKOFF;
        private final List<Header> headers = new ArrayList<>();
        private long maxResponseBytes = DEFAULT_MAX_RESPONSE_BYTES;
        private SourceClock clock = SourceClock.SYSTEM;

        private Builder(URI baseUri) {
            this.baseUri = baseUri;
        }

        /**
         * The client to send requests with; it stays the caller's and is not closed by the source. It must
         * not follow redirects ({@link HttpClient.Redirect#NEVER}, the JDK's default): the source follows
         * them itself, as the class description says. By default the source creates one with the
         * {@linkplain #connectTimeout(Duration) connect timeout} and HTTP/2 with fallback to HTTP/1.1.
         */
        public Builder httpClient(HttpClient client) {
            this.httpClient = Objects.requireNonNull(client, "client");
            return this;
        }

        /**
         * How long connecting may take, for the client the source creates (default 10 s). Not allowed with
         * {@link #httpClient(HttpClient)}: set it on that client.
         */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = Objects.requireNonNull(timeout, "timeout");
            this.connectTimeoutSet = true;
            return this;
        }

        /** How long to wait for the response headers of each request (default 30 s). */
        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /**
         * How long a response body may deliver nothing before the attempt is abandoned and retried
         * (default 30 s). Time the consumer spends not reading does not count.
         */
        public Builder stallTimeout(Duration timeout) {
            this.stallTimeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /** Attempts in a row without progress before giving up, the first included (default 6; 1 = no retries). */
        public Builder maxAttempts(int attempts) {
            this.maxAttempts = attempts;
            return this;
        }

        /** The back-off ceiling after the first failed attempt, doubled after each further one (default 250 ms). */
        public Builder initialBackoff(Duration backoff) {
            this.initialBackoff = Objects.requireNonNull(backoff, "backoff");
            return this;
        }

        /** The largest back-off ceiling (default 30 s). */
        public Builder maxBackoff(Duration backoff) {
            this.maxBackoff = Objects.requireNonNull(backoff, "backoff");
            return this;
        }

        /**
         * A header sent with every request to the base URL's origin, such as {@code Authorization}; may be
         * called again to add more. A redirect to another origin carries none of these headers. The headers
         * the source manages ({@code Range}, {@code If-Range}, {@code If-None-Match},
         * {@code Accept-Encoding}) and those the HTTP client forbids are refused by {@link #build()}.
         */
        public Builder header(String name, String value) {
            headers.add(new Header(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value")));
            return this;
        }

        /**
         * The largest payload file accepted (default 1 TiB): a larger {@code Content-Length} is refused before
         * reading, and the bytes are counted while streaming. The manifest has its own cap in
         * {@link ManifestRequest}.
         */
        public Builder maxResponseBytes(long bytes) {
            this.maxResponseBytes = bytes;
            return this;
        }

        /** The clock the source reads and waits on; for tests, which observe waits instead of sleeping them. */
        Builder clock(SourceClock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Checks the settings and creates the source.
         *
         * @throws IllegalArgumentException naming the first setting that is not acceptable, and why
         */
        public HttpArtifactSource build() {
            URI base = checkedBase(baseUri);
            requirePositive("connectTimeout", connectTimeout);
            requirePositive("requestTimeout", requestTimeout);
            requirePositive("stallTimeout", stallTimeout);
            if (initialBackoff.isNegative()) {
                throw new IllegalArgumentException("initialBackoff: expected >= 0 but was " + initialBackoff);
            }
            if (maxBackoff.compareTo(initialBackoff) < 0) {
                throw new IllegalArgumentException("maxBackoff: expected >= initialBackoff (" + initialBackoff
                        + ") but was " + maxBackoff);
            }
            if (maxAttempts < 1) {
                throw new IllegalArgumentException("maxAttempts: expected >= 1 but was " + maxAttempts);
            }
            if (maxResponseBytes < 1) {
                throw new IllegalArgumentException("maxResponseBytes: expected >= 1 but was " + maxResponseBytes);
            }
            if (httpClient != null && httpClient.followRedirects() != HttpClient.Redirect.NEVER) {
                throw new IllegalArgumentException("httpClient: expected followRedirects(HttpClient.Redirect.NEVER)"
                        + " (the source follows redirects itself, so that its headers never go to another origin)"
                        + " but was " + httpClient.followRedirects());
            }
            if (httpClient != null && connectTimeoutSet) {
                throw new IllegalArgumentException("connectTimeout: expected to be set on the supplied HttpClient"
                        + " but was set on the builder (it applies only to a client the source creates)");
            }
            for (Header h : headers) {
                checkHeader(h);
            }
            if (httpClient != null) {
                return new HttpArtifactSource(this, base, httpClient, false);
            }
            HttpClient created = HttpClient.newBuilder()
                    .connectTimeout(connectTimeout)
                    .version(HttpClient.Version.HTTP_2)
                    .followRedirects(HttpClient.Redirect.NEVER) // followed by get(), see Redirects
                    .build();
            return new HttpArtifactSource(this, base, created, true);
        }

        private static URI checkedBase(URI uri) {
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!uri.isAbsolute() || uri.isOpaque() || !scheme.equals("http") && !scheme.equals("https")) {
                throw new IllegalArgumentException("baseUri: expected an absolute http or https URI but was '"
                        + uri + "'");
            }
            if (uri.getHost() == null) {
                throw new IllegalArgumentException("baseUri: expected a host name but was '" + uri + "'");
            }
            if (uri.getRawUserInfo() != null) {
                throw new IllegalArgumentException("baseUri: expected no user info (send credentials with"
                        + " header(\"Authorization\", ...)) but was '" + uri + "'");
            }
            if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
                throw new IllegalArgumentException("baseUri: expected no query or fragment (file names are"
                        + " resolved against the path) but was '" + uri + "'");
            }
            // Without the slash, resolving "manifest.json" against https://host/kb would replace "kb".
            String s = uri.toString();
            return URI.create(s.endsWith("/") ? s : s + "/");
        }

        private static void requirePositive(String name, Duration d) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + ": expected a positive duration but was " + d);
            }
        }

        private static void checkHeader(Header h) {
            if (MANAGED_HEADERS.contains(h.name().toLowerCase(Locale.ROOT))) {
                throw new IllegalArgumentException("header '" + h.name() + "': expected a header the source does"
                        + " not set itself but was one of " + MANAGED_HEADERS);
            }
            try {
                HttpRequest.newBuilder(URI.create("http://localhost/")).header(h.name(), h.value());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("header '" + h.name() + "': expected a name and value the HTTP"
                        + " client may send but was refused: " + e.getMessage(), e);
            }
        }
    }
}
