package dev.nyla.sync.cli;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.SimpleFileServer;
import dev.nyla.sync.NylaSyncException;
import dev.nyla.sync.SourceRecord;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.artifact.ArtifactSource;
import dev.nyla.sync.artifact.DirectoryArtifactSource;
import dev.nyla.sync.artifact.HttpArtifactSource;
import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.store.PayloadFile;
import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.client.NylaSync;
import dev.nyla.sync.client.SyncResult;
import dev.nyla.sync.embed.Embedder;
import dev.nyla.sync.corpus.Corpus;
import dev.nyla.sync.publish.PublishResult;
import dev.nyla.sync.publish.Publisher;
import dev.nyla.sync.internal.DurableFiles;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.SearchHit;
import dev.nyla.sync.store.SearchRequest;
import dev.nyla.sync.store.VectorStore;
import dev.nyla.sync.store.VectorStores;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code nyla-sync demo}: the whole distribution loop on the project's own documentation, with no set-up.
 *
 * <p>The publisher embeds with the bundled all-MiniLM-L6-v2 and writes a site directory, served over HTTP on
 * loopback; the sync client installs from it into a Lucene store (HNSW), as an application would.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Publish this project's documentation as a signed artifact, install it, search it, "
                + "publish an edit as a delta, update, show tampering being refused, and roll back.")
final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--docs", paramLabel = "<dir>",
            description = "Project directory whose README.md and docs/ are published (default: the nyla-sync checkout).")
    Path home = Path.of(System.getProperty("nyla.home", "."));

    @Option(names = "--workdir", paramLabel = "<dir>",
            description = "Where keys, the published site and tampered copies go (default: <docs>/.nyla/demo). "
                    + "It must be new, empty, or a directory an earlier demo made: it is emptied first.")
    Path work;

    @Option(names = "--model", paramLabel = "<model>", defaultValue = Models.DEFAULT,
            description = "The embedding model: " + Models.SYNTAX + " (default: ${DEFAULT-VALUE}).")
    String model;

    /** Marks a directory the demo made, so that emptying it can never delete anything else. */
    private static final String MARKER = ".nyla-demo";

    private PrintWriter out;

    @Override
    public Integer call() throws Exception {
        out = spec.commandLine().getOut();
        Path root = home.toAbsolutePath().normalize();
        Path workdir = work != null ? work : root.resolve(".nyla/demo");
        prepareWorkdir(workdir);
        Path site = workdir.resolve("site");

        List<Path> docs = documents(root);
        if (docs.isEmpty()) {
            throw new NylaSyncException(root + ": no README.md or docs/*.md to publish; pass --docs <project dir>");
        }
        try (Embedder embedder = Models.open(model)) {
            return run(root, workdir, site, docs, embedder);
        }
    }

    private int run(Path root, Path workdir, Path site, List<Path> docs, Embedder embedder) throws IOException {
        title("1. Publisher (in CI): sign and publish version 1 of " + docs.size() + " documents");
        KeyPair keys = SigningKeys.generate();
        SigningKeys.write(keys, workdir.resolve("release"));
        Corpus v1Corpus = Corpus.fromDocuments(root, docs, Corpus.DEFAULT_MAX_CHUNK_CHARS);
        long t0 = System.nanoTime();
        PublishResult v1 = publisher(keys, embedder, "docs v1", v1Corpus.size()).publish(v1Corpus, site);
        line("published %s: %d chunks embedded by %s in %s", v1.manifest().label(), v1.embedded(),
                v1.manifest().model().id(), ms(t0));
        line("full payload %s gzip / %s plain, key id %s", Format.bytes(v1.fullBytes()), Format.bytes(v1.fullRawBytes()),
                SigningKeys.keyId(keys.getPublic()));
        line("model: %s, run offline from the jar", Models.describe(embedder.model()));

        title("2. Client: NylaSync over HTTP (loopback) into a Lucene store: check, verify, download, install, swap");
        HttpServer server = SimpleFileServer.createFileServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                site, SimpleFileServer.OutputLevel.NONE);
        server.start();
        URI url = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
        PublicKey trusted = SigningKeys.readPublicKey(workdir.resolve("release.pub"));
        try (HttpArtifactSource http = HttpArtifactSource.builder(url).build();
             VectorStore store = VectorStores.open("lucene:" + workdir.resolve("store"));
             NylaSync sync = client(http, store, trusted, embedder).build()) {
            SyncResult r1 = sync.checkNow();
            requireCurrent(r1);
            line("installed version %d from %s by %s: %s downloaded, verified and installed in %s", r1.toVersion(), url,
                    route(r1), Format.bytes(r1.bytesDownloaded()), ms(r1.elapsed()));
            line("store %s (HNSW), generation %d; client state in %s", store.location(),
                    store.activeGeneration().orElseThrow().id(), workdir.resolve("store/sync"));

            title("3. Search version 1");
            String[] questions = {"How do I run the tests?", "What does the manifest record?",
                    "What happens when a signature does not verify?", "How do I go back to the previous version?"};
            for (String q : questions) {
                ask(store, embedder, q);
            }

            title("4. Check again: nothing changed");
            SyncResult again = sync.checkNow();
            line("%s -> %s", again.steps().get(0), again.outcome() == SyncResult.Outcome.UP_TO_DATE
                    ? "up to date, nothing downloaded" : again.outcome());

            title("5. Publisher: edit the docs, publish version 2 incrementally (same site, like a CDN)");
            List<SourceRecord> edited = new ArrayList<>(v1Corpus.records());
            // Remove one chunk, edit one, add one; with a one-chunk corpus there is nothing to remove.
            String removed = edited.size() > 1 ? edited.remove(edited.size() - 1).id() : "nothing";
            SourceRecord changed = edited.get(0);
            edited.set(0, new SourceRecord(changed.tenant(), changed.id(), changed.text() + "\n\nEdited for version 2.",
                    changed.metadata()));
            edited.add(new SourceRecord(VectorRecord.DEFAULT_TENANT, "CHANGELOG.md#whats-new",
                    "What's new in version 2: rollback keeps the previous generation, so a bad release is undone in one step.",
                    Map.of("source", "CHANGELOG.md", "title", "What's new")));
            t0 = System.nanoTime();
            PublishResult v2 = publisher(keys, embedder, "docs v2", edited.size()).publish(Corpus.of(edited), site, site);
            line("published version %d in %s: %d added, %d updated, %d deleted, %d unchanged; embedder called for %d texts",
                    v2.manifest().version(), ms(t0), v2.added(), v2.updated(), v2.deleted(), v2.unchanged(), v2.embedded());
            line("removed %s; delta %s vs full %s (%.1f%%)", removed, Format.bytes(v2.deltaBytes()), Format.bytes(v2.fullBytes()),
                    100.0 * v2.deltaBytes() / v2.fullBytes());

            title("6. Client: the manifest changed; only the delta is downloaded and applied to a copy of generation 1");
            SyncResult r2 = sync.checkNow();
            requireCurrent(r2);
            line("%s: downloaded %s of a %s full payload (%.1f%%) in %s; version %d now serving (%d records)",
                    route(r2), Format.bytes(r2.bytesDownloaded()), Format.bytes(r2.fullPayloadBytes()),
                    100.0 * r2.bytesDownloaded() / Math.max(1, r2.fullPayloadBytes()), ms(r2.elapsed()), r2.toVersion(),
                    store.activeGeneration().orElseThrow().recordCount());
            ask(store, embedder, "What is new in version 2?");

            title("7. Tampering is refused and the installed version keeps serving");
            Path tampered = workdir.resolve("tampered");
            copyDirectory(site, tampered);
            Path manifestFile = tampered.resolve(Manifest.FILE_NAME);
            Files.writeString(manifestFile, Files.readString(manifestFile).replace("\"percent\":100", "\"percent\":99"));
            try (NylaSync mirror = client(new DirectoryArtifactSource(tampered), store, trusted, embedder)
                    .stateDirectory(workdir.resolve("mirror-client")).build()) {
                refused("edited manifest", mirror.checkNow());
                copyDirectory(site, tampered);
                for (PayloadFile payload : v2.manifest().payload().files()) {
                    Path payloadFile = tampered.resolve(payload.name());
                    byte[] b = Files.readAllBytes(payloadFile);
                    b[b.length / 2] ^= 1;
                    Files.write(payloadFile, b);
                }
                // forceUpdate reinstalls version 2 in full, so every payload file is read and checked.
                refused("one flipped payload bit", mirror.forceUpdate());
            }
            line("still serving version %d", store.activeGeneration().orElseThrow().version());

            title("8. Roll back to version 1");
            Generation back = sync.rollback();
            line("rolled back to version %d (generation %d); version %d stays trusted, so it is not reinstalled",
                    back.version(), back.id(), sync.status().trustedVersion());
            ask(store, embedder, "What is new in version 2?");
        } finally {
            server.stop(0);
        }
        out.println();
        line("artifact, keys, store and tampered copies are in %s", workdir);
        return 0;
    }

    /** The demo's publisher of one version (a builder takes each setting once, so one builder per version). */
    private Publisher publisher(KeyPair keys, Embedder embedder, String label, long corpusSize) {
        return Publisher.builder().signingKey(keys).embedder(embedder).label(label).listener(progress(corpusSize)).build();
    }

    /** Embedding progress, as publish prints it: the first publication embeds for half a minute. */
    private PublishProgress progress(long corpusSize) {
        return new PublishProgress(out, SyncProgress.stdoutIsTerminal(), System::nanoTime, corpusSize);
    }

    private static NylaSync.Builder client(ArtifactSource source, VectorStore store, PublicKey key, Embedder embedder) {
        return NylaSync.builder().source(source).store(store).publicKey(key).queryEmbedder(embedder);
    }

    private static void requireCurrent(SyncResult r) throws IOException {
        if (!r.isCurrent()) {
            throw r.failure().orElse(new NylaSyncException("sync ended " + r.outcome() + ": " + r.steps()));
        }
    }

    private static String route(SyncResult r) {
        return r.route().map(SyncProgress::name).orElse("none");
    }

    private void ask(VectorStore store, Embedder embedder, String question) throws IOException {
        out.println("  Q: " + question);
        for (SearchHit h : store.search(SearchRequest.of(embedder.embed(question), 3))) {
            String firstLine = h.text().lines().filter(l -> !l.isBlank()).findFirst().orElse("");
            String body = h.text().lines().skip(1).filter(l -> !l.isBlank()).findFirst().orElse("");
            out.printf(Locale.ROOT, "     %.3f  %-48s %s%n", h.score(), Format.abbreviate(h.id(), 48), Format.abbreviate(body.isEmpty() ? firstLine : body, 70));
        }
    }

    private void refused(String what, SyncResult r) {
        if (r.outcome() != SyncResult.Outcome.FAILED || r.failure().isEmpty()) {
            throw new IllegalStateException(what + " was accepted: " + r.outcome());
        }
        IOException e = r.failure().get();
        line("%s -> refused: %s: %s", what, e.getClass().getSimpleName(), Format.abbreviate(e.getMessage(), 150));
    }

    private void title(String s) {
        out.println();
        out.println(s);
    }

    private void line(String format, Object... args) {
        out.println("  " + String.format(Locale.ROOT, format, args));
    }

    private static List<Path> documents(Path root) throws IOException {
        List<Path> docs = new ArrayList<>();
        if (Files.isRegularFile(root.resolve("README.md"))) {
            docs.add(root.resolve("README.md"));
        }
        Path dir = root.resolve("docs");
        if (Files.isDirectory(dir)) {
            try (Stream<Path> s = Files.walk(dir)) {
                s.filter(p -> p.toString().endsWith(".md") && Files.isRegularFile(p)).sorted().forEach(docs::add);
            }
        }
        return docs;
    }

    private static String ms(long start) {
        return String.format(Locale.ROOT, "%.1f ms", (System.nanoTime() - start) / 1e6);
    }

    private static String ms(java.time.Duration d) {
        return String.format(Locale.ROOT, "%.1f ms", d.toNanos() / 1e6);
    }

    private static void prepareWorkdir(Path dir) throws IOException {
        if (Files.isDirectory(dir) && !Files.exists(dir.resolve(MARKER))) {
            try (Stream<Path> s = Files.list(dir)) {
                if (s.findAny().isPresent()) {
                    throw new NylaSyncException(dir + ": refusing to empty a directory the demo did not make; "
                            + "pass a new or empty --workdir");
                }
            }
        }
        DurableFiles.deleteRecursively(dir);
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(MARKER), "made by nyla-sync demo; emptied by its next run\n");
    }

    private static void copyDirectory(Path from, Path to) throws IOException {
        DurableFiles.deleteRecursively(to);
        Files.createDirectories(to);
        try (Stream<Path> s = Files.list(from)) {
            for (Path p : s.toList()) {
                Files.copy(p, to.resolve(p.getFileName()));
            }
        }
    }
}
