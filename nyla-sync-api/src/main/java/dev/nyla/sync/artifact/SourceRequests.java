package dev.nyla.sync.artifact;

import dev.nyla.sync.IntegrityException;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * How {@link HttpArtifactSource} sends one attempt's GET: the headers it manages and the caller's (to the
 * base's origin only), redirects as {@link Redirects} allows, the {@link Throttle}'s turn, the wait for the
 * response headers, and what a status that is no success means. The body comes as a {@link WatchedBody}.
 */
final class SourceRequests {
    private final HttpClient client;
    private final Duration requestTimeout;
    private final Duration stallTimeout;
    private final List<Header> headers;
    private final Redirects redirects;
    private final Throttle throttle;
    private final SourceClock clock;

    /** A header the caller set, sent to the base URL's origin. */
    record Header(String name, String value) {
    }

    SourceRequests(URI base, HttpClient client, Duration requestTimeout, Duration stallTimeout, List<Header> headers,
                   Throttle throttle, SourceClock clock) {
        this.client = client;
        this.requestTimeout = requestTimeout;
        this.stallTimeout = stallTimeout;
        this.headers = List.copyOf(headers);
        this.redirects = new Redirects(base);
        this.throttle = throttle;
        this.clock = clock;
    }

    /**
     * Sends a GET for {@code uri} with the headers the source manages for it, following redirects as
     * {@link Redirects} allows; the configured headers go along only while the chain stays in the base's
     * origin. Returns the first response that is not a redirect.
     */
    HttpResponse<WatchedBody> get(URI uri, Map<String, String> managed) throws IOException {
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
            HttpResponse<WatchedBody> response = send(b.build());
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
    private HttpResponse<WatchedBody> send(HttpRequest request) throws IOException {
        AtomicReference<WatchedBody> created = new AtomicReference<>();
        AtomicBoolean abandoned = new AtomicBoolean();
        CompletableFuture<HttpResponse<WatchedBody>> future = client.sendAsync(request, info -> {
            WatchedBody body = new WatchedBody(stallTimeout);
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
            throw new IOException(RetryPolicy.reason(cause), cause);
        }
    }

    private static void abandon(CompletableFuture<?> future, AtomicReference<WatchedBody> created,
                                AtomicBoolean abandoned) {
        abandoned.set(true);
        future.cancel(true);
        WatchedBody body = created.get();
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
    IOException statusFailure(URI uri, HttpResponse<?> response) {
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

    static void requireIdentityEncoding(URI uri, HttpResponse<?> response) throws IntegrityException {
        Optional<String> encoding = response.headers().firstValue("Content-Encoding");
        if (encoding.isPresent() && !encoding.get().isBlank() && !encoding.get().strip().equalsIgnoreCase("identity")) {
            throw new IntegrityException(uri.toString(), "Content-Encoding", "identity, as requested",
                    "'" + encoding.get() + "'");
        }
    }

    /** The Content-Length, or -1 when the response has none (or a malformed one). */
    static long contentLength(HttpResponse<?> response) {
        try {
            OptionalLong length = response.headers().firstValueAsLong("Content-Length");
            return length.isPresent() && length.getAsLong() >= 0 ? length.getAsLong() : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** {@code d} in nanoseconds; a duration too long for that (centuries) waits as long as a long can say. */
    static long nanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }
}
