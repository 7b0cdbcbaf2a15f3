package dev.nyla.sync.artifact;

import static org.junit.jupiter.api.Assertions.*;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Redirects over two real loopback hosts on different ports, each recording the headers it receives: the
 * headers configured on the source go to the base URL's origin only, whatever the JDK's own redirect
 * handling would do, and a redirect the source cannot follow safely fails typed after a bounded number of
 * requests.
 */
// A guard against hangs only; no test asserts on timing.
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CrossOriginRedirectTest {
    private static final byte[] BODY = "0123456789".getBytes(StandardCharsets.US_ASCII);

    /** One request as received. */
    private record Seen(String path, Headers headers) {
        String header(String name) {
            return headers.getFirst(name);
        }
    }

    /** A loopback host answering every request with {@code answer}, recording what it received. */
    private static final class Host implements AutoCloseable {
        final List<Seen> seen = new CopyOnWriteArrayList<>();
        private final HttpServer server;
        private final ExecutorService executor = Executors.newFixedThreadPool(2);
        volatile Function<HttpExchange, Answer> answer;

        Host() throws IOException {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.setExecutor(executor);
            server.createContext("/", ex -> {
                try (ex) {
                    seen.add(new Seen(ex.getRequestURI().getPath(), new Headers(ex.getRequestHeaders())));
                    answer.apply(ex).send(ex);
                }
            });
            server.start();
        }

        String origin() {
            return "http://127.0.0.1:" + server.getAddress().getPort();
        }

        @Override
        public void close() {
            server.stop(0);
            executor.shutdownNow();
        }
    }

    /** A response: a redirect ({@code 3xx}, to {@code location} when not null), or the body from the requested Range on. */
    private record Answer(int status, String location) {
        static Answer redirect(int status, String location) {
            return new Answer(status, location);
        }

        static Answer body() {
            return new Answer(200, null);
        }

        void send(HttpExchange ex) throws IOException {
            if (status / 100 == 3) {
                if (location != null) {
                    ex.getResponseHeaders().set("Location", location);
                }
                ex.sendResponseHeaders(status, -1);
                return;
            }
            String range = ex.getRequestHeaders().getFirst("Range");
            int from = range == null ? 0 : Integer.parseInt(range.replaceAll("\\D", ""));
            if (from > 0) {
                ex.getResponseHeaders().set("Content-Range", "bytes " + from + "-" + (BODY.length - 1) + "/" + BODY.length);
            }
            ex.sendResponseHeaders(from > 0 ? 206 : 200, BODY.length - from);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(BODY, from, BODY.length - from);
            }
        }
    }

    private Host a;
    private Host b;
    private final List<HttpArtifactSource> sources = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        a = new Host();
        b = new Host();
        b.answer = ex -> Answer.body();
    }

    @AfterEach
    void stop() {
        sources.forEach(HttpArtifactSource::close);
        a.close();
        b.close();
    }

    private HttpArtifactSource source() {
        HttpArtifactSource s = HttpArtifactSource.builder(URI.create(a.origin() + "/kb/"))
                .header("Authorization", "Bearer secret")
                .header("X-Api-Key", "key")
                .maxAttempts(3).initialBackoff(Duration.ofMillis(1)).maxBackoff(Duration.ofMillis(2)).build();
        sources.add(s);
        return s;
    }

    private static byte[] read(InputStream in) throws IOException {
        try (in) {
            return in.readAllBytes();
        }
    }

    @Test
    void aRedirectToAnotherOriginCarriesNoConfiguredHeader() throws IOException {
        a.answer = ex -> Answer.redirect(302, b.origin() + "/cdn" + ex.getRequestURI().getPath());

        assertArrayEquals(BODY, read(source().open("file.bin", 0)));
        ManifestResponse.Fetched fetched = assertInstanceOf(ManifestResponse.Fetched.class,
                source().fetchManifest(ManifestRequest.unconditional()));
        assertArrayEquals(BODY, fetched.manifest());

        assertEquals(3, a.seen.size(), a.seen.toString());
        assertEquals(3, b.seen.size(), b.seen.toString());
        for (Seen s : a.seen) {
            assertEquals("Bearer secret", s.header("Authorization"), s.path());
            assertEquals("key", s.header("X-Api-Key"), s.path());
        }
        for (Seen s : b.seen) {
            assertNull(s.header("Authorization"), s.path());
            assertNull(s.header("X-Api-Key"), s.path());
        }
        assertEquals(List.of("/cdn/kb/file.bin", "/cdn/kb/manifest.json", "/cdn/kb/manifest.json.sig"),
                b.seen.stream().map(Seen::path).toList());
    }

    @Test
    void everyRedirectStatusIsFollowedAndTheRangeGoesAlong() throws IOException {
        for (int status : new int[] {301, 302, 303, 307, 308}) {
            a.seen.clear();
            b.seen.clear();
            a.answer = ex -> Answer.redirect(status, b.origin() + "/cdn/file.bin");

            assertArrayEquals("56789".getBytes(StandardCharsets.US_ASCII), read(source().open("file.bin", 5)),
                    "HTTP " + status);

            assertEquals("bytes=5-", a.seen.get(0).header("Range"), "HTTP " + status);
            assertEquals("bytes=5-", b.seen.get(0).header("Range"), "HTTP " + status);
            assertNull(b.seen.get(0).header("Authorization"), "HTTP " + status);
        }
    }

    @Test
    void aRedirectWithinTheOriginKeepsTheHeadersAndARelativeLocationIsResolved() throws IOException {
        a.answer = ex -> ex.getRequestURI().getPath().startsWith("/kb/")
                ? Answer.redirect(307, "../mirror/file.bin") : Answer.body();

        assertArrayEquals(BODY, read(source().open("file.bin", 0)));

        assertEquals(List.of("/kb/file.bin", "/mirror/file.bin"), a.seen.stream().map(Seen::path).toList());
        assertEquals("Bearer secret", a.seen.get(1).header("Authorization"));
        assertEquals("key", a.seen.get(1).header("X-Api-Key"));
        assertTrue(b.seen.isEmpty());
    }

    @Test
    void aChainThatLeftTheOriginCarriesNoHeaderEvenBackAtTheBase() throws IOException {
        a.answer = ex -> ex.getRequestURI().getPath().startsWith("/kb/")
                ? Answer.redirect(302, b.origin() + "/hop") : Answer.body();
        b.answer = ex -> Answer.redirect(302, a.origin() + "/back/file.bin");

        assertArrayEquals(BODY, read(source().open("file.bin", 0)));

        assertNull(b.seen.get(0).header("Authorization"));
        // The other host chose where the request goes next: it may not pick a URL to send the credentials to.
        assertEquals("/back/file.bin", a.seen.get(1).path());
        assertNull(a.seen.get(1).header("Authorization"));
        assertNull(a.seen.get(1).header("X-Api-Key"));
    }

    @Test
    void aRedirectLoopFailsTypedAfterABoundedNumberOfRequests() {
        a.answer = ex -> Answer.redirect(302, b.origin() + "/loop");
        b.answer = ex -> Answer.redirect(302, a.origin() + "/kb/file.bin");

        SourceUnavailableException e = assertThrows(SourceUnavailableException.class,
                () -> source().open("file.bin", 0));

        assertTrue(e.getMessage().contains("redirect"), e.getMessage());
        // Not retried: the same redirects would come again.
        assertEquals(Redirects.MAX_REDIRECTS + 1, a.seen.size() + b.seen.size(), a.seen + " " + b.seen);
    }

    @Test
    void aRedirectWithoutLocationFailsTypedWithoutRetrying() {
        a.answer = ex -> Answer.redirect(302, null);

        SourceUnavailableException e = assertThrows(SourceUnavailableException.class,
                () -> source().open("file.bin", 0));

        assertTrue(e.getMessage().contains("Location"), e.getMessage());
        assertEquals(1, a.seen.size());
    }

    @Test
    void aSuppliedClientThatFollowsRedirectsItselfIsRefused() {
        try (HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> HttpArtifactSource.builder(URI.create(a.origin() + "/kb/")).httpClient(client).build());
            assertTrue(e.getMessage().contains("httpClient") && e.getMessage().contains("NEVER")
                    && e.getMessage().contains("NORMAL"), e.getMessage());
        }
    }
}
