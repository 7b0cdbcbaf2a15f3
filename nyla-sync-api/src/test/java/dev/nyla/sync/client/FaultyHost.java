package dev.nyla.sync.client;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.nyla.sync.ContentHash;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A static file host on loopback that behaves like a real one (ETag, If-None-Match → 304, Range → 206 with
 * Content-Range, If-Range) and misbehaves on demand: each queued {@link Fault} applies to the next payload
 * request, in order. Every request is logged so tests can assert what the client sent.
 */
final class FaultyHost implements AutoCloseable {

    /** What the host does to one payload request. */
    enum Fault {
        /** Answer 503. */
        SERVER_ERROR,
        /** Answer 429 with Retry-After: 3600, as a rate-limiting CDN does. */
        TOO_MANY_REQUESTS,
        /** Announce the whole length, send half, then drop the connection. */
        RESET_HALFWAY,
        /** Send headers and a few bytes, then nothing until the test ends. */
        STALL,
        /** Ignore a Range header and send the whole file with 200. */
        IGNORE_RANGE
    }

    /** One request as received. */
    record Request(String path, String range, String ifRange, String ifNoneMatch, String acceptEncoding, int status) {
    }

    private final Path root;
    private final HttpServer server;
    private final Deque<Fault> faults = new ArrayDeque<>();
    final List<Request> requests = Collections.synchronizedList(new ArrayList<>());
    private final CountDownLatch release = new CountDownLatch(1);

    FaultyHost(Path root) throws IOException {
        this.root = root;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newFixedThreadPool(8));
        server.createContext("/", this::handle);
        server.start();
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/kb/");
    }

    synchronized void inject(Fault... next) {
        faults.addAll(List.of(next));
    }

    List<Request> payloadRequests() {
        synchronized (requests) {
            // Key documents are fetched (or found missing) at each check, like the manifest: not payload.
            return requests.stream().filter(r -> !r.path().startsWith("manifest") && !r.path().startsWith("keys-"))
                    .toList();
        }
    }

    private synchronized Fault nextFault() {
        return faults.poll();
    }

    private void handle(HttpExchange ex) throws IOException {
        String name = ex.getRequestURI().getPath().replaceFirst("^/kb/", "");
        String range = ex.getRequestHeaders().getFirst("Range");
        String ifRange = ex.getRequestHeaders().getFirst("If-Range");
        String ifNoneMatch = ex.getRequestHeaders().getFirst("If-None-Match");
        String encoding = ex.getRequestHeaders().getFirst("Accept-Encoding");
        Path file = root.resolve(name).normalize();
        if (!file.startsWith(root) || !Files.isRegularFile(file)) {
            log(name, range, ifRange, ifNoneMatch, encoding, 404);
            ex.sendResponseHeaders(404, -1);
            ex.close();
            return;
        }
        byte[] body = Files.readAllBytes(file);
        String etag = '"' + HexFormat.of().formatHex(ContentHash.sha256().digest(body)) + '"';
        ex.getResponseHeaders().set("ETag", etag);
        if (name.startsWith("manifest")) {
            if (etag.equals(ifNoneMatch)) {
                log(name, range, ifRange, ifNoneMatch, encoding, 304);
                ex.sendResponseHeaders(304, -1);
                ex.close();
                return;
            }
            log(name, range, ifRange, ifNoneMatch, encoding, 200);
            send(ex, 200, body, 0, body.length);
            return;
        }
        Fault fault = nextFault();
        if (fault == Fault.SERVER_ERROR) {
            log(name, range, ifRange, ifNoneMatch, encoding, 503);
            ex.sendResponseHeaders(503, -1);
            ex.close();
            return;
        }
        if (fault == Fault.TOO_MANY_REQUESTS) {
            log(name, range, ifRange, ifNoneMatch, encoding, 429);
            ex.getResponseHeaders().set("Retry-After", "3600");
            ex.sendResponseHeaders(429, -1);
            ex.close();
            return;
        }
        int start = 0;
        boolean ranged = range != null && fault != Fault.IGNORE_RANGE && (ifRange == null || ifRange.equals(etag));
        if (ranged) {
            start = Integer.parseInt(range.replaceAll("^bytes=(\\d+)-$", "$1"));
            ex.getResponseHeaders().set("Content-Range", "bytes " + start + "-" + (body.length - 1) + "/" + body.length);
        }
        int status = ranged ? 206 : 200;
        log(name, range, ifRange, ifNoneMatch, encoding, status);
        if (fault == Fault.RESET_HALFWAY) {
            ex.sendResponseHeaders(status, body.length - start);
            OutputStream out = ex.getResponseBody();
            out.write(body, start, (body.length - start) / 2);
            out.flush();
            // Closing the exchange before the announced length was written drops the connection.
            ex.close();
            return;
        }
        if (fault == Fault.STALL) {
            ex.sendResponseHeaders(status, body.length - start);
            OutputStream out = ex.getResponseBody();
            out.write(body, start, Math.min(100, body.length - start));
            out.flush();
            try {
                release.await(5, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ex.close();
            return;
        }
        send(ex, status, body, start, body.length - start);
    }

    private void log(String name, String range, String ifRange, String ifNoneMatch, String encoding, int status) {
        requests.add(new Request(name, range, ifRange, ifNoneMatch, encoding, status));
    }

    private static void send(HttpExchange ex, int status, byte[] body, int off, int len) throws IOException {
        ex.sendResponseHeaders(status, len == 0 ? -1 : len);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body, off, len);
        }
    }

    @Override
    public void close() {
        release.countDown();
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
