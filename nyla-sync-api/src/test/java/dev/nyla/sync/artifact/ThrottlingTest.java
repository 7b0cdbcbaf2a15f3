package dev.nyla.sync.artifact;

import static org.junit.jupiter.api.Assertions.*;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A host that throttles ({@code 429}, {@code 503} with {@code Retry-After}) against a source whose clock
 * records waits instead of sleeping them: the source waits what the host asked for, shares the wait across
 * its requests, gives up at once when asked to wait past its budget, and sends a bounded number of
 * requests to a host that throttles forever, however many files are open.
 */
// A guard against hangs only; no test asserts on timing.
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ThrottlingTest {
    private static final byte[] BODY = "signed bytes".getBytes(StandardCharsets.US_ASCII);
    private static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.RFC_1123_DATE_TIME.withZone(ZoneOffset.UTC);

    /** A clock that moves on by the wait whenever it is asked to wait, and remembers every wait. */
    static final class RecordingClock implements SourceClock {
        private Instant now = Instant.parse("2030-01-01T00:00:00Z");
        final List<Duration> waits = new ArrayList<>();

        @Override
        public synchronized Instant now() {
            return now;
        }

        @Override
        public synchronized void sleep(Duration d) {
            waits.add(d);
            now = now.plus(d);
        }

        synchronized void advance(Duration d) {
            now = now.plus(d);
        }

        synchronized List<Duration> waits() {
            return List.copyOf(waits);
        }
    }

    /** Answers one request; {@code number} counts the requests from 1. */
    @FunctionalInterface
    private interface Responder {
        void respond(HttpExchange exchange, int number) throws IOException;
    }

    private HttpServer server;
    private ExecutorService executor;
    private final AtomicInteger requests = new AtomicInteger();
    private volatile Responder responder;
    private final RecordingClock clock = new RecordingClock();
    private final List<HttpArtifactSource> sources = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        executor = Executors.newFixedThreadPool(8);
        server.setExecutor(executor);
        server.createContext("/", ex -> {
            try (ex) {
                responder.respond(ex, requests.incrementAndGet());
            }
        });
        server.start();
    }

    @AfterEach
    void stop() {
        sources.forEach(HttpArtifactSource::close);
        server.stop(0);
        executor.shutdownNow();
    }

    private HttpArtifactSource source(int maxAttempts) {
        HttpArtifactSource s = HttpArtifactSource.builder(URI.create("http://127.0.0.1:"
                        + server.getAddress().getPort() + "/kb/"))
                .maxAttempts(maxAttempts).initialBackoff(Duration.ofMillis(1)).maxBackoff(Duration.ofSeconds(30))
                .clock(clock).build();
        sources.add(s);
        return s;
    }

    private static void ok(HttpExchange ex) throws IOException {
        ex.sendResponseHeaders(200, BODY.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(BODY);
        }
    }

    private static void throttle(HttpExchange ex, int status, String retryAfter) throws IOException {
        if (retryAfter != null) {
            ex.getResponseHeaders().set("Retry-After", retryAfter);
        }
        ex.sendResponseHeaders(status, -1);
    }

    private static byte[] read(InputStream in) throws IOException {
        try (in) {
            return in.readAllBytes();
        }
    }

    @Test
    void aRetryAfterInSecondsIsWaitedOutBeforeTheNextAttempt() throws IOException {
        responder = (ex, n) -> {
            if (n == 1) {
                throttle(ex, 503, "7");
            } else {
                ok(ex);
            }
        };

        assertArrayEquals(BODY, read(source(4).open("file.bin", 0)));

        assertEquals(List.of(Duration.ofSeconds(7)), clock.waits());
        assertEquals(2, requests.get());
    }

    @Test
    void aRetryAfterDateIsTakenRelativeToTheResponsesDate() throws Exception {
        // The host's clock is an hour behind ours: its date means "in 12 s" all the same. The JDK's server
        // writes its own Date header, so this host answers from a raw socket.
        Instant hostNow = clock.now().minus(Duration.ofHours(1));
        try (ServerSocket raw = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            Future<?> host = executor.submit(() -> {
                answer(raw, "429 Too Many Requests\r\nDate: " + HTTP_DATE.format(hostNow) + "\r\nRetry-After: "
                        + HTTP_DATE.format(hostNow.plusSeconds(12)) + "\r\nContent-Length: 0", new byte[0]);
                answer(raw, "200 OK\r\nContent-Length: " + BODY.length, BODY);
                return null;
            });
            HttpArtifactSource source = HttpArtifactSource.builder(URI.create("http://127.0.0.1:"
                    + raw.getLocalPort() + "/kb/")).initialBackoff(Duration.ofMillis(1)).clock(clock).build();
            sources.add(source);

            assertArrayEquals(BODY, read(source.open("file.bin", 0)));
            host.get();
        }

        assertEquals(List.of(Duration.ofSeconds(12)), clock.waits());
    }

    /** Answers one connection of {@code server} with {@code head} and {@code body}, then closes it. */
    private static void answer(ServerSocket server, String head, byte[] body) throws IOException {
        try (Socket s = server.accept()) {
            InputStream in = s.getInputStream();
            for (int c, lineEnds = 0; lineEnds < 2 && (c = in.read()) >= 0; ) {
                lineEnds = c == '\n' ? lineEnds + 1 : c == '\r' ? lineEnds : 0;
            }
            OutputStream out = s.getOutputStream();
            out.write(("HTTP/1.1 " + head + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
        }
    }

    @Test
    void aTooManyRequestsWithoutRetryAfterIsRetriedAfterTheBackOff() throws IOException {
        responder = (ex, n) -> {
            if (n == 1) {
                throttle(ex, 429, null);
            } else {
                ok(ex);
            }
        };

        assertArrayEquals(BODY, read(source(4).open("file.bin", 0)));

        assertEquals(1, clock.waits().size(), clock.waits().toString());
        assertTrue(clock.waits().get(0).compareTo(Duration.ofMillis(1)) <= 0, clock.waits().toString());
    }

    @Test
    void aWaitLongerThanTheBudgetAllowsIsNotWaitedForAndNoRequestGoesOutUntilItIsOver() throws IOException {
        responder = (ex, n) -> {
            if (n == 1) {
                throttle(ex, 429, "3600");
            } else {
                ok(ex);
            }
        };
        HttpArtifactSource source = source(4);

        SourceUnavailableException e = assertThrows(SourceUnavailableException.class,
                () -> source.open("file.bin", 0));

        assertEquals(1, requests.get());
        assertEquals(List.of(), clock.waits());
        for (String part : List.of("file.bin", "HTTP 429", "Retry-After: 3600", "3600 s", "maxBackoff (30 s)",
                "no request before 2030-01-01T01:00:00Z", "try again after")) {
            assertTrue(e.getMessage().contains(part), part + " in: " + e.getMessage());
        }
        // Every request of the source fails at once until the host's time, the manifest's too.
        SourceUnavailableException refused = assertThrows(SourceUnavailableException.class,
                () -> source.fetchManifest(ManifestRequest.unconditional()));
        assertTrue(refused.getMessage().contains("not requested") && refused.getMessage().contains("Retry-After: 3600"),
                refused.getMessage());
        assertEquals(1, requests.get());

        clock.advance(Duration.ofHours(1));
        assertArrayEquals(BODY, read(source.open("file.bin", 0)));
        assertEquals(2, requests.get());
    }

    @Test
    void aHostThatThrottlesForeverGetsMaxAttemptsRequestsPerWait() throws IOException {
        responder = (ex, n) -> throttle(ex, 429, "1");
        HttpArtifactSource source = source(4);

        SourceUnavailableException e = assertThrows(SourceUnavailableException.class,
                () -> source.fetchManifest(ManifestRequest.unconditional()));

        assertEquals(4, requests.get());
        assertEquals(List.of(Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1)), clock.waits());
        assertTrue(e.getMessage().contains("HTTP 429 with Retry-After: 1 4 times in a row"), e.getMessage());
        // The next check, within the host's second, sends nothing; after it, one more round.
        assertThrows(SourceUnavailableException.class, () -> source.open("file.bin", 0));
        assertEquals(4, requests.get());
        clock.advance(Duration.ofSeconds(1));
        assertThrows(SourceUnavailableException.class, () -> source.open("file.bin", 0));
        assertEquals(8, requests.get());
    }

    @Test
    void filesOpenedAtOnceShareTheWaitAndTheCountInsteadOfEachHammeringTheHost() throws Exception {
        responder = (ex, n) -> throttle(ex, 429, "1");
        HttpArtifactSource source = source(4);
        int files = 6;
        ExecutorService pool = Executors.newFixedThreadPool(files);
        try {
            List<Callable<Throwable>> opens = new ArrayList<>();
            for (int i = 0; i < files; i++) {
                String name = "file-" + i + ".bin";
                opens.add(() -> assertThrows(SourceUnavailableException.class, () -> source.open(name, 0)));
            }
            for (Future<Throwable> f : pool.invokeAll(opens)) {
                assertInstanceOf(SourceUnavailableException.class, f.get());
            }
        } finally {
            pool.shutdownNow();
        }

        // Each file alone would have spent its own 4 attempts (24 requests); together they get the
        // source's 4, plus at most one request of each other file already under way when it gave up.
        assertTrue(requests.get() <= 4 + files - 1, requests.get() + " requests");
        assertFalse(clock.waits().isEmpty(), "the host's second was waited out between rounds");
    }
}
