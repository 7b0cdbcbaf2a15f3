package dev.nyla.sync.artifact;

import static org.junit.jupiter.api.Assertions.*;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.nyla.sync.ContentHash;
import dev.nyla.sync.IntegrityException;
import dev.nyla.sync.LimitExceededException;
import dev.nyla.sync.SourceRecord;
import dev.nyla.sync.UnsafeFileNameException;
import dev.nyla.sync.artifact.internal.Artifacts;
import dev.nyla.sync.corpus.Corpus;
import dev.nyla.sync.demo.HashingEmbedder;
import dev.nyla.sync.internal.VerifyingInputStream;
import dev.nyla.sync.publish.Publisher;
import dev.nyla.sync.store.PayloadFile;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP source against a real loopback server that serves a published artifact, with faults injected
 * per test: server errors, cut connections, stalls, servers that ignore or botch ranges.
 */
// A guard against hangs only; no test asserts on timing.
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HttpArtifactSourceTest {
    private static final KeyPair KEYS = SigningKeys.generate();
    private static final String CONTEXT = "/kb/";
    private static final String LAST_MODIFIED = "Tue, 15 Apr 2025 10:00:00 GMT";
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-");

    /** Answers one request; {@code number} counts the requests of the test from 1. */
    @FunctionalInterface
    private interface Responder {
        void respond(HttpExchange exchange, int number) throws IOException, InterruptedException;
    }

    private record Seen(String path, Headers headers) {
        String header(String name) {
            return headers.getFirst(name);
        }
    }

    @TempDir
    Path dir;
    private Manifest manifest;
    private HttpServer server;
    private ExecutorService executor;
    private URI base;
    private final List<Seen> seen = new CopyOnWriteArrayList<>();
    private final AtomicInteger requests = new AtomicInteger();
    private final List<HttpArtifactSource> sources = new ArrayList<>();
    /** Released after each test, so handlers that block to simulate a stall end. */
    private final CountDownLatch release = new CountDownLatch(1);
    private volatile Responder responder = (ex, n) -> serve(ex, Long.MAX_VALUE);
    private volatile boolean weakETag;

    @BeforeEach
    void publishAndServe() throws IOException {
        List<SourceRecord> records = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            records.add(new SourceRecord("default", "doc-" + i, "text number " + i, Map.of("i", "" + i)));
        }
        manifest = Publisher.builder().signingKey(KEYS).embedder(new HashingEmbedder(64)).build()
                .publish(Corpus.of(records), dir).manifest();

        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        executor = Executors.newFixedThreadPool(8);
        server.setExecutor(executor);
        server.createContext(CONTEXT, ex -> {
            seen.add(new Seen(ex.getRequestURI().getPath(), new Headers(ex.getRequestHeaders())));
            try {
                responder.respond(ex, requests.incrementAndGet());
            } catch (IOException | InterruptedException e) {
                // the client went away or the test is over
            } finally {
                ex.close(); // closes the connection when fewer bytes were written than announced
            }
        });
        server.start();
        // No trailing slash on purpose: the source must add it.
        base = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/kb");
    }

    // In a thread of its own so that a source whose close() hangs fails the test instead of the build.
    @AfterEach
    @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void stop() {
        release.countDown();
        for (HttpArtifactSource s : sources) {
            s.close();
        }
        server.stop(0);
        executor.shutdownNow();
    }

    // ---- fixtures ------------------------------------------------------------------------------------------

    private HttpArtifactSource.Builder builder() {
        return builder(Duration.ofSeconds(20), Duration.ofSeconds(20));
    }

    /** The fixture's builder with its own timeouts (a builder takes each setting once). */
    private HttpArtifactSource.Builder builder(Duration requestTimeout, Duration stallTimeout) {
        return HttpArtifactSource.builder(base)
                .header("Authorization", "Bearer test-token")
                .initialBackoff(Duration.ofMillis(1))
                .maxBackoff(Duration.ofMillis(5))
                .requestTimeout(requestTimeout)
                .stallTimeout(stallTimeout);
    }

    private HttpArtifactSource source(HttpArtifactSource.Builder b) {
        HttpArtifactSource s = b.build();
        sources.add(s);
        return s;
    }

    private HttpArtifactSource source() {
        return source(builder());
    }

    private PayloadFile plain() {
        return manifest.payload().files().get(1);
    }

    private byte[] bytesOf(String name) throws IOException {
        return Files.readAllBytes(dir.resolve(name));
    }

    private String url(String name) {
        return base + "/" + name;
    }

    private static String etagOf(byte[] bytes) {
        return '"' + HexFormat.of().formatHex(ContentHash.sha256().digest(bytes)) + '"';
    }

    private String etagHeader(byte[] bytes) {
        return (weakETag ? "W/" : "") + etagOf(bytes);
    }

    private static void verify(InputStream in, PayloadFile file) throws IOException {
        try (VerifyingInputStream v = VerifyingInputStream.of(in, file.size(), file.sha256(), file.name())) {
            v.drainAndVerify();
        }
    }

    /** Where a request's Range asks to start, or -1 when it has none. */
    private static long rangeStart(Seen s) {
        String range = s.header("Range");
        if (range == null) {
            return -1;
        }
        Matcher m = RANGE.matcher(range);
        assertTrue(m.matches(), "Range: " + range);
        return Long.parseLong(m.group(1));
    }

    /**
     * Serves the requested file as a careful static host does (ETag, Last-Modified, If-None-Match,
     * Range with If-Range), but cuts the connection after {@code maxBodyBytes} bytes of the body.
     */
    private void serve(HttpExchange ex, long maxBodyBytes) throws IOException {
        Path file = dir.resolve(ex.getRequestURI().getPath().substring(CONTEXT.length()));
        if (!Files.isRegularFile(file)) {
            ex.sendResponseHeaders(404, -1);
            return;
        }
        byte[] bytes = Files.readAllBytes(file);
        String etag = etagHeader(bytes);
        Headers request = ex.getRequestHeaders();
        ex.getResponseHeaders().set("ETag", etag);
        ex.getResponseHeaders().set("Last-Modified", LAST_MODIFIED);
        if (etag.equals(request.getFirst("If-None-Match"))) {
            ex.sendResponseHeaders(304, -1);
            return;
        }
        String ifRange = request.getFirst("If-Range");
        Matcher range = RANGE.matcher(String.valueOf(request.getFirst("Range")));
        boolean rangeApplies = range.matches() && (ifRange == null || ifRange.equals(LAST_MODIFIED)
                || !weakETag && ifRange.equals(etag));
        if (!rangeApplies) {
            writeBody(ex, 200, bytes, 0, maxBodyBytes);
            return;
        }
        int start = Integer.parseInt(range.group(1));
        if (start >= bytes.length) {
            ex.getResponseHeaders().set("Content-Range", "bytes */" + bytes.length);
            ex.sendResponseHeaders(416, -1);
            return;
        }
        ex.getResponseHeaders().set("Content-Range", "bytes " + start + "-" + (bytes.length - 1) + "/" + bytes.length);
        writeBody(ex, 206, bytes, start, maxBodyBytes);
    }

    /** Announces {@code bytes[from..]} and writes at most {@code max} bytes of it. */
    private static void writeBody(HttpExchange ex, int status, byte[] bytes, int from, long max) throws IOException {
        ex.sendResponseHeaders(status, bytes.length - from);
        OutputStream out = ex.getResponseBody();
        out.write(bytes, from, (int) Math.min(bytes.length - from, max));
        out.flush();
    }

    /** The whole file with a 200, whatever the request asked for. */
    private void serveWholeIgnoringRange(HttpExchange ex) throws IOException {
        byte[] bytes = bytesOf(plain().name());
        ex.getResponseHeaders().set("ETag", etagHeader(bytes));
        writeBody(ex, 200, bytes, 0, Long.MAX_VALUE);
    }

    // ---- manifest ------------------------------------------------------------------------------------------

    @Test
    void fetchesTheManifestAndThenGetsNotModifiedWithItsETag() throws IOException {
        HttpArtifactSource source = source();
        byte[] manifestBytes = bytesOf(Manifest.FILE_NAME);

        ManifestResponse.Fetched fetched = assertInstanceOf(ManifestResponse.Fetched.class,
                source.fetchManifest(ManifestRequest.unconditional()));
        assertArrayEquals(manifestBytes, fetched.manifest());
        assertArrayEquals(bytesOf(Manifest.SIGNATURE_FILE_NAME), fetched.signature());
        assertEquals(etagOf(manifestBytes), fetched.etag());
        assertEquals(List.of(CONTEXT + Manifest.FILE_NAME, CONTEXT + Manifest.SIGNATURE_FILE_NAME),
                seen.stream().map(Seen::path).toList());
        assertNull(seen.get(0).header("If-None-Match"), "the first fetch is unconditional");

        assertInstanceOf(ManifestResponse.NotModified.class,
                source.fetchManifest(ManifestRequest.ifNoneMatch(fetched.etag())));
        assertEquals(3, seen.size(), "no signature is fetched for an unchanged manifest");
        assertEquals(fetched.etag(), seen.get(2).header("If-None-Match"));
        assertEquals("Bearer test-token", seen.get(2).header("Authorization"));
    }

    @Test
    void aManifestFetchRetriesServerErrors() throws IOException {
        responder = (ex, n) -> {
            if (n == 1) {
                ex.sendResponseHeaders(503, -1);
            } else {
                serve(ex, Long.MAX_VALUE);
            }
        };
        ManifestResponse.Fetched fetched = assertInstanceOf(ManifestResponse.Fetched.class,
                source().fetchManifest(ManifestRequest.unconditional()));
        assertArrayEquals(bytesOf(Manifest.FILE_NAME), fetched.manifest());
        assertEquals(3, seen.size(), "503, then the manifest, then the signature");
    }

    @Test
    void aMissingManifestIsFileNotFoundWithoutRetrying() {
        responder = (ex, n) -> ex.sendResponseHeaders(404, -1);
        FileNotFoundException e = assertThrows(FileNotFoundException.class,
                () -> source().fetchManifest(ManifestRequest.unconditional()));
        assertTrue(e.getMessage().contains(url(Manifest.FILE_NAME)), e.getMessage());
        assertEquals(1, seen.size());
    }

    @Test
    void messagesNameAFileWithOneSlashAfterTheBaseUrl() throws IOException {
        // The base URL ends with '/' once the source has normalized it; a file name is appended to it, not after
        // another '/' (a user read "http://host//manifest.json.sig" and wondered which file was meant).
        HttpArtifactSource source = source();
        assertEquals(url(Manifest.FILE_NAME), source.describe(Manifest.FILE_NAME));
        BadSignatureException e = assertThrows(BadSignatureException.class,
                () -> Artifacts.fetchVerifiedManifest(source, List.of(SigningKeys.generate().getPublic())));
        assertTrue(e.getMessage().startsWith(url(Manifest.FILE_NAME)), e.getMessage());
        assertFalse(e.getMessage().contains("kb//"), e.getMessage());
        assertEquals(dir.resolve("records.x").toString(), new DirectoryArtifactSource(dir).describe("records.x"));
    }

    @Test
    void aManifestAboveTheCapIsRefusedByItsContentLength() {
        LimitExceededException e = assertThrows(LimitExceededException.class,
                () -> source().fetchManifest(new ManifestRequest("", 100)));
        assertEquals(url(Manifest.FILE_NAME), e.subject());
        assertTrue(e.getMessage().contains("Content-Length"), e.getMessage());
        assertEquals(1, seen.size(), "a limit is not retried");
    }

    @Test
    void aManifestAboveTheCapIsRefusedWhileReadingWhenItHasNoContentLength() {
        responder = (ex, n) -> {
            ex.sendResponseHeaders(200, 0); // chunked: the size is unknown until the end
            ex.getResponseBody().write(bytesOf(Manifest.FILE_NAME));
        };
        LimitExceededException e = assertThrows(LimitExceededException.class,
                () -> source().fetchManifest(new ManifestRequest("", 100)));
        assertEquals(url(Manifest.FILE_NAME), e.subject());
        assertEquals("more", e.actual());
    }

    // ---- payload files -------------------------------------------------------------------------------------

    @Test
    void downloadsPayloadFilesByteIdenticalAskingForIdentityEncoding() throws IOException {
        HttpArtifactSource source = source();
        for (PayloadFile file : manifest.payload().files()) {
            verify(source.open(file.name(), 0), file);
        }
        assertEquals(manifest.payload().files().size(), seen.size());
        for (Seen s : seen) {
            assertEquals("identity", s.header("Accept-Encoding"));
            assertEquals("Bearer test-token", s.header("Authorization"));
            assertNull(s.header("Range"), "a whole file is asked for without a range");
        }
    }

    @Test
    void openWithAnOffsetAsksForTheRestOnly() throws IOException {
        byte[] bytes = bytesOf(plain().name());
        try (InputStream in = source().open(plain().name(), 100)) {
            assertArrayEquals(Arrays.copyOfRange(bytes, 100, bytes.length), in.readAllBytes());
        }
        assertEquals(1, seen.size());
        assertEquals("bytes=100-", seen.get(0).header("Range"));
        assertNull(seen.get(0).header("If-Range"), "nothing is known about the file yet");
    }

    @Test
    void openAtTheEndGivesAnEmptyStreamAndBeyondItFails() throws IOException {
        long size = plain().size();
        try (InputStream in = source().open(plain().name(), size)) {
            assertEquals(-1, in.read());
        }
        IntegrityException e = assertThrows(IntegrityException.class,
                () -> source().open(plain().name(), size + 10));
        assertEquals(url(plain().name()), e.subject());
        assertTrue(e.actual().contains("416"), e.getMessage());
    }

    @Test
    void serverErrorsAndTooManyRequestsAreRetried() throws IOException {
        responder = (ex, n) -> {
            if (n == 1) {
                ex.sendResponseHeaders(503, -1);
            } else if (n == 2) {
                ex.sendResponseHeaders(429, -1);
            } else {
                serve(ex, Long.MAX_VALUE);
            }
        };
        verify(source().open(plain().name(), 0), plain());
        assertEquals(3, seen.size());
    }

    @Test
    void aCutConnectionIsResumedWithRangeAndIfRange() throws IOException {
        int half = (int) plain().size() / 2;
        responder = (ex, n) -> serve(ex, n == 1 ? half : Long.MAX_VALUE);
        verify(source().open(plain().name(), 0), plain());

        assertEquals(2, seen.size());
        // Every byte the server wrote before the cut reached the consumer, so the resume starts right there.
        assertEquals(half, rangeStart(seen.get(1)));
        assertEquals(etagOf(bytesOf(plain().name())), seen.get(1).header("If-Range"));
    }

    @Test
    void aResumeUsesLastModifiedWhenTheETagIsWeak() throws IOException {
        weakETag = true;
        int half = (int) plain().size() / 2;
        responder = (ex, n) -> serve(ex, n == 1 ? half : Long.MAX_VALUE);
        verify(source().open(plain().name(), 0), plain());

        assertEquals(2, seen.size());
        assertEquals(LAST_MODIFIED, seen.get(1).header("If-Range"));
    }

    @Test
    void aFlakyLinkThatKeepsMakingProgressNeverExhaustsTheBudget() throws IOException {
        responder = (ex, n) -> serve(ex, 10_000);
        verify(source(builder().maxAttempts(2)).open(plain().name(), 0), plain());

        assertTrue(seen.size() > 2, "far more requests than maxAttempts: " + seen.size());
        for (int i = 1; i < seen.size(); i++) {
            assertEquals(10_000L * i, rangeStart(seen.get(i)), "request " + (i + 1));
        }
    }

    @Test
    void aServerThatSendsShorterRangesThanAskedIsAskedForTheRestWithoutCountingFailures() throws IOException {
        int slice = 10_000;
        responder = (ex, n) -> {
            byte[] bytes = bytesOf(plain().name());
            int start = (int) rangeStart(seen.get(n - 1));
            int end = Math.min(bytes.length, start + slice);
            ex.getResponseHeaders().set("Content-Range", "bytes " + start + "-" + (end - 1) + "/" + bytes.length);
            ex.sendResponseHeaders(206, end - start);
            ex.getResponseBody().write(bytes, start, end - start);
        };
        byte[] bytes = bytesOf(plain().name());
        try (InputStream in = source(builder().maxAttempts(1)).open(plain().name(), 1)) {
            assertArrayEquals(Arrays.copyOfRange(bytes, 1, bytes.length), in.readAllBytes());
        }
        assertEquals((bytes.length - 1 + slice - 1) / slice, seen.size());
    }

    @Test
    void aServerThatIgnoresTheRangeRestartsTheFileAndTheBytesStillMatch() throws IOException {
        int half = (int) plain().size() / 2;
        responder = (ex, n) -> {
            if (n == 1) {
                serve(ex, half);
            } else {
                serveWholeIgnoringRange(ex);
            }
        };
        verify(source().open(plain().name(), 0), plain());

        assertEquals(2, seen.size());
        assertEquals(half, rangeStart(seen.get(1)), "the range was asked for; the server ignored it");
    }

    @Test
    void aServerThatIgnoresTheRangeOfTheFirstRequestStillGivesTheBytesFromTheOffset() throws IOException {
        responder = (ex, n) -> serveWholeIgnoringRange(ex);
        byte[] bytes = bytesOf(plain().name());
        try (InputStream in = source().open(plain().name(), 1000)) {
            assertArrayEquals(Arrays.copyOfRange(bytes, 1000, bytes.length), in.readAllBytes());
        }
    }

    @Test
    void aPartialResponseStartingElsewhereThanAskedIsRefused() {
        responder = (ex, n) -> {
            byte[] bytes = bytesOf(plain().name());
            ex.getResponseHeaders().set("Content-Range", "bytes 0-" + (bytes.length - 1) + "/" + bytes.length);
            writeBody(ex, 206, bytes, 0, Long.MAX_VALUE);
        };
        IntegrityException e = assertThrows(IntegrityException.class, () -> source().open(plain().name(), 100));
        assertEquals(url(plain().name()), e.subject());
        assertEquals("100", e.expected());
        assertEquals("0", e.actual());
        assertTrue(e.getMessage().contains("Content-Range"), e.getMessage());
        assertEquals(1, seen.size(), "not retried");
    }

    @Test
    void aStalledResponseIsAbandonedAndResumed() throws IOException {
        responder = (ex, n) -> {
            if (n == 1) {
                byte[] bytes = bytesOf(plain().name());
                ex.getResponseHeaders().set("ETag", etagOf(bytes));
                ex.sendResponseHeaders(200, bytes.length);
                ex.getResponseBody().write(bytes, 0, 1000);
                ex.getResponseBody().flush();
                release.await(); // then nothing, until the test is over
            } else {
                serve(ex, Long.MAX_VALUE);
            }
        };
        verify(source(builder(Duration.ofSeconds(20), Duration.ofMillis(200))).open(plain().name(), 0), plain());

        assertEquals(2, seen.size());
        assertEquals(1000, rangeStart(seen.get(1)));
        assertEquals(etagOf(bytesOf(plain().name())), seen.get(1).header("If-Range"));
    }

    @Test
    void aResponseWhoseHeadersNeverComeIsAbandonedAndRetried() throws IOException {
        responder = (ex, n) -> {
            if (n == 1) {
                release.await();
            } else {
                serve(ex, Long.MAX_VALUE);
            }
        };
        verify(source(builder(Duration.ofMillis(200), Duration.ofSeconds(20))).open(plain().name(), 0), plain());
        assertEquals(2, seen.size());
    }

    @Test
    void aHostThatKeepsFailingExhaustsTheBudget() {
        responder = (ex, n) -> ex.sendResponseHeaders(503, -1);
        SourceUnavailableException e = assertThrows(SourceUnavailableException.class,
                () -> source(builder().maxAttempts(4)).open(plain().name(), 0));
        assertTrue(e.getMessage().contains(url(plain().name())), e.getMessage());
        assertTrue(e.getMessage().contains("4 attempts"), e.getMessage());
        assertTrue(e.getMessage().contains("HTTP 503"), e.getMessage());
        assertNotNull(e.getCause());
        assertEquals(4, seen.size());
    }

    @Test
    void aMissingFileIsFileNotFoundAfterOneRequest() {
        FileNotFoundException e = assertThrows(FileNotFoundException.class, () -> source().open("missing.bin", 0));
        assertTrue(e.getMessage().contains(url("missing.bin")), e.getMessage());
        assertEquals(1, seen.size());
    }

    @Test
    void aRefusedRequestIsNotRetried() {
        responder = (ex, n) -> ex.sendResponseHeaders(403, -1);
        SourceUnavailableException e = assertThrows(SourceUnavailableException.class,
                () -> source().open(plain().name(), 0));
        assertTrue(e.getMessage().contains("HTTP 403"), e.getMessage());
        assertEquals(1, seen.size());
    }

    @Test
    void aPayloadLargerThanTheCapIsRefusedByItsContentLength() {
        LimitExceededException e = assertThrows(LimitExceededException.class,
                () -> source(builder().maxResponseBytes(1000)).open(plain().name(), 0));
        assertEquals(url(plain().name()), e.subject());
        assertEquals(plain().size() + " bytes (Content-Length)", e.actual());
        assertEquals(1, seen.size());
    }

    @Test
    void aPayloadWithoutContentLengthIsCountedAgainstTheCap() throws IOException {
        responder = (ex, n) -> {
            ex.sendResponseHeaders(200, 0); // chunked
            ex.getResponseBody().write(bytesOf(plain().name()));
        };
        try (InputStream in = source(builder().maxResponseBytes(1000)).open(plain().name(), 0)) {
            LimitExceededException e = assertThrows(LimitExceededException.class, in::readAllBytes);
            assertEquals(url(plain().name()), e.subject());
            assertSame(e, assertThrows(LimitExceededException.class, in::read), "a failure is final");
        }
        assertEquals(1, seen.size());
    }

    @Test
    void aCompressedResponseIsRefused() {
        responder = (ex, n) -> {
            ex.getResponseHeaders().set("Content-Encoding", "gzip");
            serve(ex, Long.MAX_VALUE);
        };
        IntegrityException e = assertThrows(IntegrityException.class, () -> source().open(plain().name(), 0));
        assertEquals("'gzip'", e.actual());
    }

    @Test
    void hostileFileNamesAreRefusedBeforeAnyRequest() {
        HttpArtifactSource source = source();
        for (String name : List.of("../x", "/etc/passwd", "a/b", "..", "", "a\\b", "x?y=1", "%2e%2e")) {
            assertThrows(UnsafeFileNameException.class, () -> source.open(name, 0), name);
        }
        assertEquals(List.of(), seen);
    }

    // ---- releasing connections -----------------------------------------------------------------------------

    /** Writes an endless body until the client goes away, then counts down {@code gone}. */
    private Responder endless(CountDownLatch gone) {
        return (ex, n) -> {
            ex.sendResponseHeaders(200, 1L << 30);
            byte[] chunk = new byte[64 << 10];
            try {
                OutputStream out = ex.getResponseBody();
                while (true) {
                    out.write(chunk);
                }
            } catch (IOException e) {
                gone.countDown();
            }
        };
    }

    @Test
    void closingAStreamReleasesItsConnection() throws Exception {
        CountDownLatch gone = new CountDownLatch(1);
        responder = endless(gone);
        InputStream in = source().open("endless.bin", 0);
        assertEquals(200_000, in.readNBytes(200_000).length);
        in.close();
        gone.await(); // the server's write fails only once the client has closed the connection
        assertThrows(IOException.class, in::read);
    }

    @Test
    void closingTheSourceClosesItsStreamsAndItsOwnClient() throws Exception {
        CountDownLatch gone = new CountDownLatch(1);
        responder = endless(gone);
        HttpArtifactSource source = source();
        InputStream in = source.open("endless.bin", 0);
        assertEquals(200_000, in.readNBytes(200_000).length);
        source.close(); // would wait forever for the exchange if the stream were left running
        gone.await();
        assertThrows(IOException.class, in::read);
        assertThrows(IOException.class, () -> source.open(plain().name(), 0));
    }

    @Test
    void aSuppliedClientStaysOpen() throws IOException {
        try (HttpClient client = HttpClient.newHttpClient()) {
            source(HttpArtifactSource.builder(base).httpClient(client)).close();
            HttpArtifactSource again = source(HttpArtifactSource.builder(base).httpClient(client));
            verify(again.open(plain().name(), 0), plain());
        }
    }

    @Test
    void anInterruptedReadIsNotRetried() throws Exception {
        responder = (ex, n) -> {
            ex.sendResponseHeaders(200, 1000);
            ex.getResponseBody().flush(); // the headers, and no byte of the body
            release.await();
        };
        InputStream in = source().open("stalled.bin", 0);
        Thread.currentThread().interrupt();
        try {
            assertThrows(InterruptedIOException.class, in::read);
            assertTrue(Thread.interrupted(), "the interrupt status is kept");
        } finally {
            Thread.interrupted();
        }
        assertEquals(1, seen.size());
        in.close();
    }

    // ---- configuration -------------------------------------------------------------------------------------

    @Test
    void theBaseGetsATrailingSlashSoFilesResolveUnderIt() {
        assertEquals(base + "/", source().describe());
        assertEquals("http://h/kb/", source(HttpArtifactSource.builder(URI.create("http://h/kb/"))).describe());
        assertEquals("https://h/", source(HttpArtifactSource.builder(URI.create("https://h"))).describe());
    }

    @Test
    void badSettingsAreRefusedWithTheirName() {
        Map<String, HttpArtifactSource.Builder> bad = Map.ofEntries(
                Map.entry("baseUri", HttpArtifactSource.builder(URI.create("kb/"))),
                Map.entry("baseUri:", HttpArtifactSource.builder(URI.create("ftp://h/kb/"))),
                Map.entry("baseUri: expected no query", HttpArtifactSource.builder(URI.create("http://h/kb?x=1"))),
                Map.entry("baseUri: expected no user", HttpArtifactSource.builder(URI.create("http://u:p@h/kb"))),
                Map.entry("maxAttempts", HttpArtifactSource.builder(base).maxAttempts(0)),
                Map.entry("stallTimeout", HttpArtifactSource.builder(base).stallTimeout(Duration.ZERO)),
                Map.entry("requestTimeout", HttpArtifactSource.builder(base).requestTimeout(Duration.ofSeconds(-1))),
                Map.entry("initialBackoff", HttpArtifactSource.builder(base).initialBackoff(Duration.ofMillis(-1))),
                Map.entry("maxBackoff", HttpArtifactSource.builder(base).initialBackoff(Duration.ofSeconds(2))
                        .maxBackoff(Duration.ofSeconds(1))),
                Map.entry("maxResponseBytes", HttpArtifactSource.builder(base).maxResponseBytes(0)),
                Map.entry("header 'Range'", HttpArtifactSource.builder(base).header("Range", "bytes=0-")),
                Map.entry("header 'Host'", HttpArtifactSource.builder(base).header("Host", "evil")));
        bad.forEach((name, b) -> {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, b::build, name);
            assertTrue(e.getMessage().startsWith(name), name + " -> " + e.getMessage());
        });
        try (HttpClient client = HttpClient.newHttpClient()) {
            HttpArtifactSource.Builder both = builder().connectTimeout(Duration.ofSeconds(1)).httpClient(client);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, both::build);
            assertTrue(e.getMessage().startsWith("connectTimeout"), e.getMessage());
        }
    }
}
