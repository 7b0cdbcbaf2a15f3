package dev.nyla.sync.cli;

import dev.nyla.sync.NylaSyncException;
import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.embed.Embedder;
import dev.nyla.sync.lucene.LucenePayloadFormat;
import dev.nyla.sync.publish.Corpus;
import dev.nyla.sync.publish.PublishResult;
import dev.nyla.sync.publish.Publisher;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code nyla-sync publish}: a corpus to a signed artifact, incrementally on top of the previous version. */
@Command(name = "publish", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Embed a corpus and write a signed artifact (manifest, signature, payloads) into a directory "
                + "for any static host. With --previous, only added and changed chunks are embedded, the version "
                + "number goes up by one, and a delta from the previous version is written.",
                "A corpus is a JSONL file ({\"id\", \"tenant\"?, \"text\", \"metadata\"?} a line) or a directory of "
                        + "Markdown and text files, chunked by heading with stable ids."})
final class PublishCommand implements Callable<Integer> {
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
        long tenants = c.records().stream().map(r -> r.tenant()).distinct().count();
        out.printf(Locale.ROOT, "corpus %s: %d chunks in %d %s%n", corpus, c.size(), tenants, tenants == 1 ? "tenant" : "tenants");
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

        @Option(names = "--payload", paramLabel = "records|lucene", defaultValue = "records",
                description = "records: the portable payload only; lucene: also a prebuilt Lucene HNSW index, which "
                        + "Lucene stores install by copying files (default: ${DEFAULT-VALUE}).")
        String payload;

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

        void check(picocli.CommandLine cli) throws IOException {
            if (!payload.equals("records") && !payload.equals(LucenePayloadFormat.KIND)) {
                throw new picocli.CommandLine.ParameterException(cli,
                        "--payload: expected records or lucene but was '" + payload + "'");
            }
            if (rolloutPercent < 0 || rolloutPercent > 100) {
                throw new picocli.CommandLine.ParameterException(cli,
                        "--rollout-percent: expected 0..100 but was " + rolloutPercent);
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
                    .rolloutPercent(rolloutPercent);
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
                b.nativePayload(new LucenePayloadFormat());
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
            out.printf(Locale.ROOT, "full payload: %s (%s uncompressed)%n", Format.bytes(r.fullBytes()), Format.bytes(r.fullRawBytes()));
            boolean hasDelta = m.deltas().stream().anyMatch(d -> d.fromVersion() == m.version() - 1);
            out.println(hasDelta
                    ? "delta from version " + (m.version() - 1) + ": " + Format.bytes(r.deltaBytes()) + " ("
                            + Format.percent(r.deltaBytes(), r.fullBytes()) + " of full)"
                    : previous == null ? "delta: none (first version)"
                    : "delta: none (the previous version cannot be patched, e.g. another model); clients install in full");
            for (PublishResult.NativeBytes n : r.nativeBytes()) {
                out.printf(Locale.ROOT, "%s payload: %s full, %s new since the previous version%n", n.kind(), Format.bytes(n.fullBytes()),
                        Format.bytes(n.newBytes()));
            }
            out.printf(Locale.ROOT, "rollout: %d%%, expires %s%n", m.rollout().percent(), m.expiresAt());
        }
    }
}
