package dev.nyla.sync.client;

import dev.nyla.sync.ContentHash;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A static HTTP/1.1 host on a raw loopback socket that resets connections in the middle of response bodies,
 * as a flaky proxy or mobile link does: a seeded share of the responses is cut after a random number of body
 * bytes by closing the socket with {@code SO_LINGER 0}, which sends a TCP reset. It serves {@code Range}
 * (with {@code If-Range} on its strong ETag) and counts every body byte it wrote to a socket, so a test can
 * compare what the network carried with the size of the file.
 */
final class ResettingHost implements AutoCloseable {
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-");
    private static final int CHUNK = 4 << 10;
    /**
     * The socket send buffer asked for. Left to autotuning, a loopback socket's buffer grows to megabytes,
     * and a reset discards what it holds unsent: bytes written that TCP never transmitted, which no client
     * can receive. A small fixed buffer makes "written" mean "transmitted" within a slack of what the
     * kernel still holds at the reset, which measures up to about 64 KiB (one loopback segment).
     * {@code -Dnyla.test.sendBuffer=0} leaves the buffer to the kernel, to see the difference.
     */
    static final int SEND_BUFFER = Integer.getInteger("nyla.test.sendBuffer", 8 << 10);

    /** One response as sent: the file, its first body byte's offset, the bytes written, whether it was cut. */
    record Response(String file, long start, long written, boolean reset) {
    }

    private final Path root;
    private final double resetShare;
    private final SplittableRandom random;
    private final ServerSocket server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final Map<String, AtomicLong> sent = new ConcurrentHashMap<>();
    final List<Response> responses = Collections.synchronizedList(new ArrayList<>());

    /** Serves the files of {@code root} under {@code /kb/}, resetting {@code resetShare} of the responses. */
    ResettingHost(Path root, double resetShare, long seed) throws IOException {
        this.root = root.toAbsolutePath().normalize();
        this.resetShare = resetShare;
        this.random = new SplittableRandom(seed);
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        executor.execute(this::accept);
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort() + "/kb/");
    }

    /** Body bytes of {@code file} written to sockets so far, those of cut responses included. */
    long bytesSent(String file) {
        AtomicLong n = sent.get(file);
        return n == null ? 0 : n.get();
    }

    /** How many responses were cut. */
    long resets() {
        synchronized (responses) {
            return responses.stream().filter(Response::reset).count();
        }
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                executor.execute(() -> serve(s));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            if (SEND_BUFFER > 0) {
                socket.setSendBufferSize(SEND_BUFFER);
            }
            List<String> head = readHead(socket.getInputStream());
            if (head.isEmpty()) {
                return;
            }
            String path = head.get(0).split(" ")[1];
            String range = header(head, "range");
            String ifRange = header(head, "if-range");
            String name = path.replaceFirst("^/kb/", "");
            Path file = root.resolve(name).normalize();
            OutputStream out = socket.getOutputStream();
            if (!file.getParent().equals(root) || !Files.isRegularFile(file)) {
                out.write("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                return;
            }
            byte[] body = Files.readAllBytes(file);
            AtomicLong counter = sent.computeIfAbsent(name, k -> new AtomicLong());
            String etag = '"' + HexFormat.of().formatHex(ContentHash.sha256().digest(body)) + '"';
            Matcher m = range == null ? null : RANGE.matcher(range);
            int start = m != null && m.matches() && (ifRange == null || ifRange.equals(etag))
                    ? Integer.parseInt(m.group(1)) : 0;
            int length = body.length - start;
            long cut;
            synchronized (random) {
                cut = length > 0 && random.nextDouble() < resetShare ? random.nextInt(length) : -1;
            }
            String status = start > 0 ? "206 Partial Content\r\nContent-Range: bytes " + start + "-"
                    + (body.length - 1) + "/" + body.length : "200 OK";
            out.write(("HTTP/1.1 " + status + "\r\nETag: " + etag + "\r\nContent-Length: " + length
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            int end = cut >= 0 ? (int) (start + cut) : body.length;
            int at = start;
            try {
                while (at < end) {
                    int n = Math.min(CHUNK, end - at);
                    out.write(body, at, n);
                    at += n;
                    counter.addAndGet(n);
                }
                out.flush();
            } finally {
                responses.add(new Response(name, start, at - start, cut >= 0));
            }
            if (cut >= 0) {
                socket.setSoLinger(true, 0); // close() now sends a reset, dropping what is unsent
            }
        } catch (IOException e) {
            // the client went away
        }
    }

    private static List<String> readHead(InputStream in) throws IOException {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (int c; (c = in.read()) >= 0; ) {
            if (c == '\n') {
                String l = line.toString().strip();
                if (l.isEmpty()) {
                    return lines;
                }
                lines.add(l);
                line.setLength(0);
            } else {
                line.append((char) c);
            }
        }
        return List.of();
    }

    private static String header(List<String> head, String name) {
        for (String l : head.subList(1, head.size())) {
            int colon = l.indexOf(':');
            if (colon > 0 && l.substring(0, colon).strip().toLowerCase(Locale.ROOT).equals(name)) {
                return l.substring(colon + 1).strip();
            }
        }
        return null;
    }

    @Override
    public void close() throws IOException {
        server.close();
        executor.shutdownNow();
    }
}
