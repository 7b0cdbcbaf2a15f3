package dev.nyla.sync.cli;

import dev.nyla.sync.NylaSyncException;
import dev.nyla.sync.SourceRecord;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.artifact.ArtifactSource;
import dev.nyla.sync.artifact.Artifacts;
import dev.nyla.sync.artifact.Delta;
import dev.nyla.sync.artifact.DirectoryArtifactSource;
import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.artifact.ManifestRequest;
import dev.nyla.sync.artifact.ManifestResponse;
import dev.nyla.sync.artifact.PayloadFile;
import dev.nyla.sync.artifact.RecordEntry;
import dev.nyla.sync.artifact.RecordFileReader;
import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.embed.Embedder;
import dev.nyla.sync.embed.HashingEmbedder;
import dev.nyla.sync.publish.Corpus;
import dev.nyla.sync.publish.PublishResult;
import dev.nyla.sync.publish.Publisher;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.GenerationSpec;
import dev.nyla.sync.store.GenerationWriter;
import dev.nyla.sync.store.MemoryVectorStore;
import dev.nyla.sync.store.SearchHit;
import dev.nyla.sync.store.SearchRequest;
import dev.nyla.sync.store.VectorStore;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code nyla-sync demo}: the whole distribution loop on the project's own documentation, with no set-up.
 *
 * <p>This version runs on the foundation alone: an in-process lexical embedder and an in-memory store.
 * The client steps (verify, install, delta, rollback) are spelled out here; the sync engine takes them over.
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
        Embedder embedder = new HashingEmbedder();
        title("1. Publisher (in CI): sign and publish version 1 of " + docs.size() + " documents");
        KeyPair keys = SigningKeys.generate();
        SigningKeys.write(keys, workdir.resolve("release"));
        Corpus v1Corpus = Corpus.fromDocuments(root, docs, Corpus.DEFAULT_MAX_CHUNK_CHARS);
        Publisher.Builder publishers = Publisher.builder().signingKey(keys).embedder(embedder);
        long t0 = System.nanoTime();
        PublishResult v1 = publishers.label("docs v1").build().publish(v1Corpus, site);
        line("published %s: %d chunks embedded by %s in %s", v1.manifest().label(), v1.embedded(),
                v1.manifest().model().id(), ms(t0));
        line("full payload %s gzip / %s plain, key id %s", bytes(v1.fullBytes()), bytes(v1.fullRawBytes()),
                SigningKeys.keyId(keys.getPublic()));
        line("embedder: a lexical hashing embedder (no model files needed); MiniLM comes with nyla-sync-embedder-djl");

        title("2. Client: fetch the manifest, check the signature, verify every byte, install, activate");
        List<PublicKey> trusted = List.of(SigningKeys.readPublicKey(workdir.resolve("release.pub")));
        ArtifactSource source = new DirectoryArtifactSource(site);
        VectorStore store = new MemoryVectorStore();
        t0 = System.nanoTime();
        ManifestResponse.Fetched first = (ManifestResponse.Fetched) source.fetchManifest(ManifestRequest.unconditional());
        Manifest m1 = Artifacts.verifyManifest(first.manifest(), first.signature(), trusted, source.describe());
        Generation g1 = installFull(store, source, m1);
        store.activate(g1.id());
        line("installed version %d (%d records) as generation %d in %s", m1.version(), g1.recordCount(), g1.id(), ms(t0));

        title("3. Search version 1");
        String[] questions = {"How do I run the tests?", "What does the manifest record?",
                "What happens when a signature does not verify?"};
        for (String q : questions) {
            ask(store, embedder, q);
        }

        title("4. Check again: nothing changed");
        ManifestResponse again = source.fetchManifest(ManifestRequest.ifNoneMatch(first.etag()));
        line("manifest ETag unchanged -> %s", again instanceof ManifestResponse.NotModified ? "up to date, nothing downloaded"
                : "changed");

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
        PublishResult v2 = publishers.label("docs v2").build().publish(Corpus.of(edited), site, site);
        line("published version %d in %s: %d added, %d updated, %d deleted, %d unchanged; embedder called for %d texts",
                v2.manifest().version(), ms(t0), v2.added(), v2.updated(), v2.deleted(), v2.unchanged(), v2.embedded());
        line("removed %s; delta %s vs full %s (%.1f%%)", removed, bytes(v2.deltaBytes()), bytes(v2.fullBytes()),
                100.0 * v2.deltaBytes() / v2.fullBytes());

        title("6. Client: the manifest changed; download only the delta and build generation 2 from generation 1");
        ManifestResponse response = source.fetchManifest(ManifestRequest.ifNoneMatch(first.etag()));
        ManifestResponse.Fetched second = (ManifestResponse.Fetched) response;
        Manifest m2 = Artifacts.verifyManifest(second.manifest(), second.signature(), trusted, source.describe());
        t0 = System.nanoTime();
        Delta delta = m2.deltaFrom(m1.version()).orElseThrow();
        Generation g2 = installDelta(store, source, m2, delta, g1);
        store.activate(g2.id());
        line("applied %d upserts and %d deletes in %s; version %d now serving (%d records)", delta.upserts(),
                delta.deletes(), ms(t0), m2.version(), g2.recordCount());
        ask(store, embedder, "What is new in version 2?");

        title("7. Tampering is refused and the installed version keeps serving");
        Path tampered = workdir.resolve("tampered");
        copyDirectory(site, tampered);
        Path manifestFile = tampered.resolve(Manifest.FILE_NAME);
        Files.writeString(manifestFile, Files.readString(manifestFile).replace("\"percent\" : 100", "\"percent\" : 99"));
        refused("edited manifest", () -> Artifacts.fetchVerifiedManifest(new DirectoryArtifactSource(tampered), trusted));
        copyDirectory(site, tampered);
        PayloadFile payload = Artifacts.preferredEncoding(m2.payload().files());
        Path payloadFile = tampered.resolve(payload.name());
        byte[] b = Files.readAllBytes(payloadFile);
        b[b.length / 2] ^= 1;
        Files.write(payloadFile, b);
        refused("one flipped payload bit", () -> installFull(store, new DirectoryArtifactSource(tampered), m2));
        line("still serving version %d", store.activeGeneration().orElseThrow().version());

        title("8. Roll back to version 1");
        Generation back = store.rollback();
        line("rolled back to version %d (generation %d)", back.version(), back.id());
        ask(store, embedder, "What is new in version 2?");
        out.println();
        line("artifact, keys and tampered copies are in %s", workdir);
        return 0;
    }

    private Generation installFull(VectorStore store, ArtifactSource source, Manifest m) throws IOException {
        PayloadFile file = Artifacts.preferredEncoding(m.payload().files());
        try (GenerationWriter w = store.newGeneration(GenerationSpec.of(m.version(), m.label(), m.model()));
             RecordFileReader r = Artifacts.openRecordFile(source, file, m.model().dimension())) {
            for (Optional<RecordEntry> e; (e = r.next()).isPresent(); ) {
                w.add(((RecordEntry.Upsert) e.get()).record());
            }
            return w.commit();
        }
    }

    private Generation installDelta(VectorStore store, ArtifactSource source, Manifest m, Delta delta, Generation base)
            throws IOException {
        PayloadFile file = Artifacts.preferredEncoding(delta.files());
        try (GenerationWriter w = store.newGeneration(GenerationSpec.of(m.version(), m.label(), m.model()), base.id());
             RecordFileReader r = Artifacts.openRecordFile(source, file, m.model().dimension())) {
            for (Optional<RecordEntry> e; (e = r.next()).isPresent(); ) {
                switch (e.get()) {
                    case RecordEntry.Upsert u -> w.add(u.record());
                    case RecordEntry.Delete d -> w.delete(d.tenant(), d.id());
                }
            }
            return w.commit();
        }
    }

    private void ask(VectorStore store, Embedder embedder, String question) throws IOException {
        out.println("  Q: " + question);
        for (SearchHit h : store.search(SearchRequest.of(embedder.embed(question), 3))) {
            String firstLine = h.text().lines().filter(l -> !l.isBlank()).findFirst().orElse("");
            String body = h.text().lines().skip(1).filter(l -> !l.isBlank()).findFirst().orElse("");
            out.printf("     %.3f  %-48s %s%n", h.score(), abbreviate(h.id(), 48), abbreviate(body.isEmpty() ? firstLine : body, 70));
        }
    }

    @FunctionalInterface
    private interface Step {
        Object run() throws IOException;
    }

    private void refused(String what, Step step) {
        try {
            step.run();
            throw new IllegalStateException(what + " was accepted");
        } catch (IOException e) {
            line("%s -> refused: %s: %s", what, e.getClass().getSimpleName(), abbreviate(e.getMessage(), 150));
        }
    }

    private void title(String s) {
        out.println();
        out.println(s);
    }

    private void line(String format, Object... args) {
        out.println("  " + String.format(format, args));
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
        return String.format("%.1f ms", (System.nanoTime() - start) / 1e6);
    }

    private static String bytes(long n) {
        return n < 10_000 ? n + " B" : n < 10_000_000 ? String.format("%.1f KB", n / 1e3) : String.format("%.1f MB", n / 1e6);
    }

    private static String abbreviate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 1) + "…";
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
        deleteRecursively(dir);
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(MARKER), "made by nyla-sync demo; emptied by its next run\n");
    }

    private static void copyDirectory(Path from, Path to) throws IOException {
        deleteRecursively(to);
        Files.createDirectories(to);
        try (Stream<Path> s = Files.list(from)) {
            for (Path p : s.toList()) {
                Files.copy(p, to.resolve(p.getFileName()));
            }
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
