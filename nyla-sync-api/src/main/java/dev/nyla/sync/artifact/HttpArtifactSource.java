package dev.nyla.sync.artifact;

import dev.nyla.sync.IntegrityException;
import dev.nyla.sync.LimitExceededException;
import dev.nyla.sync.UnsafeFileNameException;
import dev.nyla.sync.internal.FileNames;
import dev.nyla.sync.internal.VerifyingInputStream;
import dev.nyla.sync.store.Payload;
import dev.nyla.sync.internal.BuilderOptions;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

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

    private final URI base;
    private final HttpClient client;
    private final boolean ownsClient;
    private final SourceRequests requests;
    private final RetryPolicy retries;
    private final long maxResponseBytes;
    private final Set<ResumingStream> openStreams = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();

    private HttpArtifactSource(Builder b, URI base, HttpClient client, boolean ownsClient) {
        this.base = base;
        this.client = client;
        this.ownsClient = ownsClient;
        // One throttle for the source: a wait the host asks for holds back every request, not one stream's.
        Throttle throttle = new Throttle(b.clock, b.maxAttempts, b.maxBackoff);
        this.requests = new SourceRequests(base, client, b.requestTimeout, b.stallTimeout, b.headers, throttle,
                b.clock);
        this.retries = new RetryPolicy(b.maxAttempts, b.initialBackoff, b.maxBackoff, throttle, b.clock);
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
        ResumingStream stream = new ResumingStream(requests, retries, maxResponseBytes, uri, offset,
                openStreams::remove);
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
        RetryPolicy.Budget budget = retries.budget(uri, 0);
        while (true) {
            try {
                return fetchSmallOnce(uri, max, ifNoneMatch);
            } catch (IOException e) {
                if (closed.get() || !RetryPolicy.isRetryable(e)) {
                    throw e;
                }
                budget.failed(e, 0);
            }
        }
    }

    private Optional<SmallFile> fetchSmallOnce(URI uri, long max, String ifNoneMatch) throws IOException {
        HttpResponse<WatchedBody> response = requests.get(uri, ifNoneMatch.isEmpty() ? Map.of()
                : Map.of("If-None-Match", ifNoneMatch));
        WatchedBody body = response.body();
        try {
            int status = response.statusCode();
            if (status == 304 && !ifNoneMatch.isEmpty()) {
                return Optional.empty();
            }
            if (status != 200) {
                throw requests.statusFailure(uri, response);
            }
            SourceRequests.requireIdentityEncoding(uri, response);
            long declared = SourceRequests.contentLength(response);
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

    /**
     * Configures an {@link HttpArtifactSource}; every setting has a default, and {@link #build()} checks
     * them all. Each is set once: calling a setter a second time throws an {@link IllegalStateException}
     * naming the setting and its value, except {@link #header}, which adds a header.
     */
    public static final class Builder {
        private final BuilderOptions options = new BuilderOptions("HttpArtifactSource.Builder");
        private final URI baseUri;
        private HttpClient httpClient;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private boolean connectTimeoutSet;
        private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
        private Duration stallTimeout = DEFAULT_STALL_TIMEOUT;
        private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
        private Duration initialBackoff = DEFAULT_INITIAL_BACKOFF;
        private Duration maxBackoff = DEFAULT_MAX_BACKOFF;
        private final List<SourceRequests.Header> headers = new ArrayList<>();
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
            this.httpClient = options.once("httpClient", client);
            return this;
        }

        /**
         * How long connecting may take, for the client the source creates (default 10 s). Not allowed with
         * {@link #httpClient(HttpClient)}: set it on that client.
         */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = options.once("connectTimeout", timeout);
            this.connectTimeoutSet = true;
            return this;
        }

        /** How long to wait for the response headers of each request (default 30 s). */
        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = options.once("requestTimeout", timeout);
            return this;
        }

        /**
         * How long a response body may deliver nothing before the attempt is abandoned and retried
         * (default 30 s). Time the consumer spends not reading does not count.
         */
        public Builder stallTimeout(Duration timeout) {
            this.stallTimeout = options.once("stallTimeout", timeout);
            return this;
        }

        /** Attempts in a row without progress before giving up, the first included (default 6; 1 = no retries). */
        public Builder maxAttempts(int attempts) {
            this.maxAttempts = options.once("maxAttempts", attempts);
            return this;
        }

        /** The back-off ceiling after the first failed attempt, doubled after each further one (default 250 ms). */
        public Builder initialBackoff(Duration backoff) {
            this.initialBackoff = options.once("initialBackoff", backoff);
            return this;
        }

        /** The largest back-off ceiling (default 30 s). */
        public Builder maxBackoff(Duration backoff) {
            this.maxBackoff = options.once("maxBackoff", backoff);
            return this;
        }

        /**
         * A header sent with every request to the base URL's origin, such as {@code Authorization}; may be
         * called again to add more. A redirect to another origin carries none of these headers. The headers
         * the source manages ({@code Range}, {@code If-Range}, {@code If-None-Match},
         * {@code Accept-Encoding}) and those the HTTP client forbids are refused by {@link #build()}.
         */
        public Builder header(String name, String value) {
            headers.add(new SourceRequests.Header(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value")));
            return this;
        }

        /**
         * The largest payload file accepted (default 1 TiB): a larger {@code Content-Length} is refused before
         * reading, and the bytes are counted while streaming. The manifest has its own cap in
         * {@link ManifestRequest}.
         */
        public Builder maxResponseBytes(long bytes) {
            this.maxResponseBytes = options.once("maxResponseBytes", bytes);
            return this;
        }

        /** The clock the source reads and waits on; for tests, which observe waits instead of sleeping them. */
        Builder clock(SourceClock clock) {
            this.clock = options.once("clock", clock);
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
            for (SourceRequests.Header h : headers) {
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

        private static void checkHeader(SourceRequests.Header h) {
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
