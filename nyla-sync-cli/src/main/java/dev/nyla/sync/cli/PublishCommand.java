package dev.nyla.sync.cli;

import dev.nyla.sync.NylaSyncException;
import dev.nyla.sync.artifact.internal.Artifacts;
import dev.nyla.sync.artifact.Delta;
import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.VectorEncoding;
import dev.nyla.sync.embed.Embedder;
import dev.nyla.sync.lucene.LucenePayloadFormat;
import dev.nyla.sync.corpus.Corpus;
import dev.nyla.sync.corpus.CorpusException;
import dev.nyla.sync.publish.PublishResult;
import dev.nyla.sync.publish.Publisher;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.LongSummaryStatistics;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code nyla-sync publish}: a corpus to a signed artifact, incrementally on top of the previous version. */
@Command(name = "publish", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Embed a corpus and write a signed artifact (manifest, signature, payloads) into a directory "
                + "for any static host. With --previous, only added and changed chunks are embedded, the version "
                + "number goes up by one, and deltas from the previous versions (up to --delta-window of them) are "
                + "written.",
                "A corpus is a JSONL file ({\"id\", \"tenant\"?, \"text\", \"metadata\"?} a line) or a directory of "
                        + "documents: Markdown, text, reStructuredText, HTML and AsciiDoc (.md .markdown .txt .rst .html "
                        + ".htm .adoc .asciidoc), chunked by heading with stable ids, each chunk starting with its "
                        + "document's title and heading path. Other files are listed as not read; a corpus of no chunks "
                        + "is refused and nothing is written."})
final class PublishCommand implements Callable<Integer> {
    /** How many names of files not read are printed. */
    private static final int UNREAD_SHOWN = 5;

    @Spec
    CommandSpec spec;

    @Option(names = "--corpus", required = true, paramLabel = "<file.jsonl|dir>", description = "What to publish.")
    Path corpus;

    @picocli.CommandLine.Mixin
    final Release release = new Release();

    @Option(names = "--model", paramLabel = "<model>", defaultValue = Models.DEFAULT,
            description = "The embedding model: " + Models.SYNTAX + " (default: ${DEFAULT-VALUE}).")
    String model;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        release.check(spec.commandLine());
        Corpus c = Corpus.read(corpus);
        boolean directory = Files.isDirectory(corpus);
        long tenants = c.records().stream().map(r -> r.tenant()).distinct().count();
        out.printf(Locale.ROOT, "corpus %s: %d chunks%s in %s%n", corpus, c.size(),
                directory ? " from " + plural(c.documents().size(), "document") : "", plural(tenants, "tenant"));
        if (!c.unreadFiles().isEmpty()) {
            out.println("not read: " + unread(c));
        }
        if (c.size() == 0) {
            // Before the model is loaded and --out is made: a first version of nothing would be signed and
            // served, and every later publication would need --previous.
            throw new CorpusException("corpus " + corpus + ": nothing to publish, "
                    + (directory ? plural(c.documents().size(), "document") + " read gave no chunks"
                            + (c.unreadFiles().isEmpty() ? "" : "; not read: " + unread(c))
                    : "no records") + "; nothing was written");
        }
        long t0 = System.nanoTime();
        try (Embedder embedder = Models.open(model)) {
            out.printf(Locale.ROOT, "model %s, loaded in %s%n", Models.describe(embedder.model()), Format.millis(Duration.ofNanos(System.nanoTime() - t0)));
            Publisher publisher = release.publisher().embedder(embedder)
                    .listener(new PublishProgress(out, SyncProgress.stdoutIsTerminal(), System::nanoTime, c.size())).build();
            PublishResult r = release.previous().isPresent() ? publisher.publish(c, release.out, release.previous().get())
                    : publisher.publish(c, release.out);
            release.report(r, out, true);
        }
        return Main.OK;
    }

    /** "3 files of other types (read: .md …): a.py, b.png, c and 1 more", for the files a corpus did not read. */
    static String unread(Corpus c) {
        List<String> files = c.unreadFiles();
        int shown = Math.min(files.size(), UNREAD_SHOWN);
        return plural(files.size(), "file") + " of other types (read: " + String.join(" ", Corpus.DOCUMENT_EXTENSIONS)
                + "): " + String.join(", ", files.subList(0, shown))
                + (files.size() > shown ? " and " + (files.size() - shown) + " more" : "");
    }

    private static String plural(long n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }

    /** The options {@code publish} and {@code import-json} share: where, what version, signed by whom. */
    static final class Release {
        @Option(names = "--out", required = true, paramLabel = "<dir>",
                description = "The site directory to write (may be the same as --previous, like a CDN folder).")
        Path out;

        @Option(names = "--previous", paramLabel = "<dir>",
                description = "The directory of the version before (often the same as --out): embed only what changed, "
                        + "number the version after it, and write a delta.")
        Path previous;

        @Option(names = "--signing-key", required = true, paramLabel = "<file>",
                description = "The Ed25519 private key (<prefix>.key from keygen).")
        Path signingKey;

        @Option(names = "--trust-previous-key", paramLabel = "<file>",
                description = "A public key (<prefix>.pub) accepted on the previous version's manifest besides "
                        + "--signing-key and the keys of the site's newest key document; repeatable. Needed after "
                        + "rotate-key --revoke of the key that signed the previous version: you vouch for it.")
        List<Path> trustPreviousKeys = new java.util.ArrayList<>();

        @Option(names = "--payload", paramLabel = "records|lucene", defaultValue = "records",
                description = "records: the portable payload only; lucene: also a prebuilt Lucene HNSW index, which "
                        + "Lucene stores install by copying files (default: ${DEFAULT-VALUE}).")
        String payload;

        @Option(names = "--vector-encoding", paramLabel = "f32|f16", defaultValue = "f32",
                description = "How the records payload stores vectors: f32, or f16 for half the bytes (every vector "
                        + "rounded to float16, a component beyond +-65504 refused; clients of releases before float16 "
                        + "support refuse such a version before downloading) (default: ${DEFAULT-VALUE}).")
        String vectorEncoding;

        @Option(names = "--compact", description = "With --payload lucene: rewrite the Lucene payload into one segment "
                + "without deleted documents; clients holding the previous version download it in full once "
                + "(without it, segments merge by themselves within bounds).")
        boolean compact;

        @Option(names = "--channel", paramLabel = "<name>", description = "The release channel (default: stable).")
        String channel;

        @Option(names = "--label", paramLabel = "<text>", description = "A human-readable name for the version "
                + "(default: v<version>).")
        String label;

        @Option(names = "--rollout-percent", paramLabel = "N", defaultValue = "100",
                description = "Offer the version to N%% of clients, 0..100 (default: ${DEFAULT-VALUE}).")
        int rolloutPercent;

        @Option(names = "--expires", paramLabel = "<duration>", converter = Format.DurationConverter.class,
                description = "How long clients accept the manifest, e.g. 30d (default: 30d); republish before then.")
        Duration expires;

        @Option(names = "--delta-window", paramLabel = "K", defaultValue = "" + Publisher.DEFAULT_DELTA_WINDOW,
                description = "Write a delta from each of the last K versions the --previous site still holds, so "
                        + "that clients up to K versions behind download only what changed; 0..100, 0 for no deltas "
                        + "(default: ${DEFAULT-VALUE}).")
        int deltaWindow;

        void check(picocli.CommandLine cli) throws IOException {
            if (!payload.equals("records") && !payload.equals(LucenePayloadFormat.KIND)) {
                throw new picocli.CommandLine.ParameterException(cli,
                        "--payload: expected records or lucene but was '" + payload + "'");
            }
            try {
                VectorEncoding.fromWireName(vectorEncoding);
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.ParameterException(cli,
                        "--vector-encoding: expected f32 or f16 but was '" + vectorEncoding + "'");
            }
            if (compact && !payload.equals(LucenePayloadFormat.KIND)) {
                throw new picocli.CommandLine.ParameterException(cli,
                        "--compact: rewrites the Lucene payload, so it needs --payload lucene (the payload was " + payload + ")");
            }
            if (rolloutPercent < 0 || rolloutPercent > 100) {
                throw new picocli.CommandLine.ParameterException(cli,
                        "--rollout-percent: expected 0..100 but was " + rolloutPercent);
            }
            if (deltaWindow < 0 || deltaWindow > Publisher.MAX_DELTA_WINDOW) {
                throw new picocli.CommandLine.ParameterException(cli, "--delta-window: expected 0.."
                        + Publisher.MAX_DELTA_WINDOW + " but was " + deltaWindow);
            }
            if (expires != null && (expires.isZero() || expires.isNegative())) {
                throw new picocli.CommandLine.ParameterException(cli, "--expires: expected a positive duration but was "
                        + Format.duration(expires));
            }
            SigningKeys.readKeyPair(signingKey); // before a corpus is read and a model loaded: fail in a second
            if (previous == null && Files.exists(out.resolve(Manifest.FILE_NAME))) {
                throw new NylaSyncException(out.resolve(Manifest.FILE_NAME) + " exists: publishing version 1 over it "
                        + "would make clients refuse the lower version; pass --previous " + out
                        + " to publish the next version");
            }
            if (previous != null && !Files.isRegularFile(previous.resolve(Manifest.FILE_NAME))) {
                throw new NylaSyncException("--previous " + previous + ": expected a published artifact, but "
                        + previous.resolve(Manifest.FILE_NAME) + " does not exist");
            }
        }

        Optional<Path> previous() {
            return Optional.ofNullable(previous);
        }

        Publisher.Builder publisher() throws IOException {
            Publisher.Builder b = Publisher.builder().signingKey(SigningKeys.readKeyPair(signingKey))
                    .rolloutPercent(rolloutPercent).deltaWindow(deltaWindow)
                    .vectorEncoding(VectorEncoding.fromWireName(vectorEncoding));
            for (Path p : trustPreviousKeys) {
                b.trustPreviousKey(SigningKeys.readPublicKey(p));
            }
            if (channel != null) {
                b.channel(channel);
            }
            if (label != null) {
                b.label(label);
            }
            if (expires != null) {
                b.expiresAfter(expires);
            }
            if (payload.equals(LucenePayloadFormat.KIND)) {
                b.nativePayload(new LucenePayloadFormat()).compactNativePayloads(compact);
            }
            return b;
        }

        /** Prints what was published; {@code embedding} false for imports, whose vectors come with them. */
        void report(PublishResult r, PrintWriter out, boolean embedding) {
            Manifest m = r.manifest();
            out.printf(Locale.ROOT, "published version %d (%s) on channel %s into %s%n", m.version(), m.label(), m.channel(), r.directory());
            out.printf(Locale.ROOT, "records: %d in %d tenant(s); %d added, %d updated, %d unchanged, %d deleted%s%n",
                    m.records(), m.tenants(), r.added(), r.updated(), r.unchanged(), r.deleted(),
                    embedding ? "; " + r.embedded() + " embedded" : "");
            out.printf(Locale.ROOT, "full payload: %s (%s uncompressed)%s%n", Format.bytes(r.fullBytes()),
                    Format.bytes(r.fullRawBytes()), m.vectorEncoding() == VectorEncoding.F32 ? ""
                            : ", " + m.vectorEncoding().wireName() + " vectors (manifest format " + m.formatVersion() + ")");
            boolean hasDelta = m.deltas().stream().anyMatch(d -> d.fromVersion() == m.version() - 1);
            out.println((hasDelta
                    ? "delta from version " + (m.version() - 1) + ": " + Format.bytes(r.deltaBytes()) + " ("
                            + Format.percent(r.deltaBytes(), r.fullBytes()) + " of full)"
                    : previous == null ? "delta: none (first version)"
                    : deltaWindow == 0 ? "delta: none (--delta-window 0); clients install in full"
                    : "delta: none (the previous version cannot be patched: another model or vector encoding); clients "
                            + "install in full")
                    + olderDeltas(m, r));
            for (PublishResult.NativeBytes n : r.nativeBytes()) {
                out.printf(Locale.ROOT, "%s payload: %s full, %s new since the previous version%n", n.kind(), Format.bytes(n.fullBytes()),
                        Format.bytes(n.newBytes()));
            }
            out.printf(Locale.ROOT, "rollout: %d%%, expires %s%n", m.rollout().percent(), m.expiresAt());
        }
    }

    /** "; 3 more, from versions 1..3: up to 9.1 KB (1.9% of full)", or nothing when there are no older deltas. */
    static String olderDeltas(Manifest m, PublishResult r) {
        List<Delta> older = m.deltas().stream().filter(d -> d.fromVersion() != m.version() - 1).toList();
        if (older.isEmpty()) {
            return "";
        }
        long largest = older.stream().mapToLong(d -> Artifacts.preferredEncoding(d.files()).size()).max().orElseThrow();
        LongSummaryStatistics from = older.stream().mapToLong(Delta::fromVersion).summaryStatistics();
        return "; " + older.size() + " more, from version" + (older.size() == 1 ? " " + from.getMin()
                : "s " + from.getMin() + ".." + from.getMax()) + ": up to " + Format.bytes(largest) + " ("
                + Format.percent(largest, r.fullBytes()) + " of full)";
    }
}
