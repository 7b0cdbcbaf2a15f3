package dev.nyla.sync.spring;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.SimpleFileServer;
import dev.nyla.sync.SourceRecord;
import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.corpus.Corpus;
import dev.nyla.sync.demo.HashingEmbedder;
import dev.nyla.sync.publish.PublishResult;
import dev.nyla.sync.publish.Publisher;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A publisher's site for tests: each {@link #publish} signs the next version into a directory, as a CI job
 * would, and {@link #serve()} puts the directory on the JDK's static file server on loopback, as a CDN would.
 * Records are embedded with the model-free {@link HashingEmbedder}, which the applications under test embed their
 * queries with too.
 */
final class ArtifactSite implements Closeable {
    static final HashingEmbedder EMBEDDER = new HashingEmbedder(32);

    final KeyPair keys = SigningKeys.generate();
    final Path directory;
    final Path publicKey;
    private HttpServer server;
    private int version;

    ArtifactSite(Path root) throws IOException {
        this.directory = Files.createDirectories(root.resolve("site"));
        this.publicKey = SigningKeys.write(keys, root.resolve("release")).resolveSibling("release.pub");
    }

    /** The next version: 40 records about topics, each text naming {@code edition}. */
    PublishResult publish(String edition) throws IOException {
        return publish(edition, Publisher.builder());
    }

    /** The next version, whose manifest expires {@code after} the {@code clock}'s now. */
    PublishResult publish(String edition, Duration after, Clock clock) throws IOException {
        return publish(edition, Publisher.builder().expiresAfter(after).clock(clock));
    }

    private PublishResult publish(String edition, Publisher.Builder builder) throws IOException {
        List<SourceRecord> records = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            records.add(new SourceRecord("default", "doc-" + i, "Topic " + (i % 7) + " in the " + edition + " edition.",
                    Map.of()));
        }
        Publisher p = builder.signingKey(keys).embedder(EMBEDDER).label(edition).build();
        PublishResult r = version == 0 ? p.publish(Corpus.of(records), directory)
                : p.publish(Corpus.of(records), directory, directory);
        version = (int) r.manifest().version();
        return r;
    }

    /** Serves the site on loopback; returns its base URL. */
    URI serve() {
        server = SimpleFileServer.createFileServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                directory.toAbsolutePath(), SimpleFileServer.OutputLevel.NONE);
        server.start();
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
    }

    @Override
    public void close() {
        if (server != null) {
            server.stop(0);
        }
    }
}
