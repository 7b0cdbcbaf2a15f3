package dev.nyla.sync.cli;

import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.client.NylaSync;
import dev.nyla.sync.client.SyncResult;
import dev.nyla.sync.client.UpdateOffer;
import dev.nyla.sync.embed.Embedder;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.VectorStore;
import dev.nyla.sync.store.VectorStores;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.PublicKey;
import java.time.Duration;
import java.util.Optional;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code nyla-sync sync}: one check and install into a store, or a watch loop. */
@Command(name = "sync", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Check the source's manifest and install what is new into the store: verify the signature, "
                + "version and expiry, download only what changed, verify every byte, install into a new generation "
                + "and swap. On any failure the previous version keeps serving.",
                "Exit 0 when installed or already current, 1 when the run failed, 4 when an update exists but policy "
                        + "kept it from installing (staged rollout, --manual)."})
final class SyncCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--source", required = true, paramLabel = "<url|dir>",
            description = "Where the artifact is published: an http(s):// URL or a directory.")
    String source;

    @Option(names = "--store", required = true, paramLabel = "<uri>", description = "The store to install into.")
    String store;

    @Option(names = "--public-key", required = true, paramLabel = "<file>",
            description = "The publisher's Ed25519 public key (<prefix>.pub from keygen); manifests must be signed with it.")
    Path publicKey;

    @Option(names = "--watch", description = "Keep running: check at once, then every --interval (with jitter), "
            + "sooner with backoff after failures. Stop with Ctrl-C.")
    boolean watch;

    @Option(names = "--interval", paramLabel = "<duration>", defaultValue = "1h",
            converter = Format.DurationConverter.class,
            description = "Time between checks with --watch, e.g. 30m, 1h, 1d (default: ${DEFAULT-VALUE}).")
    Duration interval;

    @Option(names = "--manual", description = "Ask before installing an update (on a terminal); without a terminal, "
            + "report the update and install nothing (exit 4).")
    boolean manual;

    @Option(names = "--allow-downgrade", description = "Install a lower version than the trusted one (recovering "
            + "from a bad publication). Weakens the protection against replayed old manifests.")
    boolean allowDowngrade;

    @Option(names = "--client-id", paramLabel = "<id>",
            description = "This installation's id for staged rollouts (default: a random id kept in the client state).")
    String clientId;

    @Option(names = "--force", description = "Reinstall the offered version in full even when it is installed "
            + "(repairs a damaged store); skips the gates, keeps every check.")
    boolean force;

    @Option(names = "--model", paramLabel = "<model>", description = "The model queries are embedded with; artifacts of "
            + "another model are refused (default: the model of the store's active version; any model for an empty store). "
            + Models.SYNTAX + ".")
    String model;

    @Option(names = "--state-dir", paramLabel = "<dir>", description = "Where the client keeps its state (default: "
            + "<store dir>/sync, or for stores without a directory ~/.nyla-sync/state/<store name>).")
    Path stateDir;

    private PrintWriter out;
    /** Counted down once the watch loop's client is closed. */
    private CountDownLatch watchClosed;

    @Override
    public Integer call() throws Exception {
        out = spec.commandLine().getOut();
        if (watch && force) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--force reinstalls once; it cannot be combined with --watch");
        }
        if (interval.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--interval: expected at least 1s but was "
                    + Format.duration(interval));
        }
        PublicKey key = SigningKeys.readPublicKey(publicKey);
        // The source before the store: a mistyped source must not leave a new, empty store behind.
        dev.nyla.sync.artifact.ArtifactSource artifacts = ClientHome.source(source);
        boolean terminal = SyncProgress.stdoutIsTerminal();
        SyncProgress progress = new SyncProgress(out, terminal);
        try (artifacts; VectorStore target = VectorStores.open(store);
             Embedder queryModel = model == null ? null : Models.open(model)) {
            ClientHome home = ClientHome.of(target, Optional.ofNullable(stateDir));
            NylaSync.Builder builder = NylaSync.builder().source(artifacts).store(target).publicKey(key)
                    .stateDirectory(home.directory()).allowDowngrade(allowDowngrade).listener(progress)
                    .checkInterval(interval);
            Optional<Generation> active = target.activeGeneration();
            if (queryModel != null) {
                if (active.isPresent() && !active.get().model().isCompatibleWith(queryModel.model())) {
                    // Checked here too: a source answering "not modified" would never reach the client's model guard.
                    throw new dev.nyla.sync.artifact.ModelMismatchException(target.location() + " version "
                            + active.get().version(), "the model of --model", Models.describe(queryModel.model()), Models.describe(active.get().model()));
                }
                builder.expectedModel(queryModel.model());
            } else if (active.isPresent()) {
                builder.expectedModel(active.get().model());
            } else {
                builder.acceptAnyModel();
            }
            if (clientId != null) {
                builder.clientId(clientId);
            }
            if (manual) {
                builder.manualApproval(offer -> approve(offer, terminal));
            }
            try (NylaSync sync = builder.build()) {
                out.println("sync " + source + " -> " + target.location() + " (key " + SigningKeys.keyId(key)
                        + ", state in " + home.directory() + ")");
                String id = sync.status().clientId();
                if (watch) {
                    home.remember(source, publicKey);
                    return watch(sync, progress, id, artifacts);
                }
                String serving = active.map(g -> "version " + g.version() + " keeps serving").orElse("nothing is installed yet");
                // Ctrl-C or SIGTERM during a one-shot run: one line on what was cut short. The JVM does not wait for
                // the run: a download resumes from its .part file, and an install cut short is cleaned up at the
                // next open, the store serving the old version (docs/sync-client.md).
                Thread hook = new Thread(() -> out.println(progress.stop()
                        .map(i -> "interrupted while " + i.what() + "; " + serving + ", and the next sync " + i.next())
                        .orElse("interrupted; " + serving)), "nyla-sync-interrupted");
                Runtime.getRuntime().addShutdownHook(hook);
                SyncResult r;
                try {
                    r = force ? sync.forceUpdate() : sync.checkNow();
                } finally {
                    removeHook(hook);
                }
                if (r.outcome() != SyncResult.Outcome.FAILED) {
                    // Only a run that verified (or had verified) a manifest with this key re-pins source and key.
                    home.remember(source, publicKey);
                }
                return report(r, progress, target, id, sync.status().trustedVersion());
            }
        } finally {
            // Last, after the client, the store and the model are closed: the shutdown hook may now let the JVM halt.
            if (watchClosed != null) {
                watchClosed.countDown();
            }
        }
    }

    private int watch(NylaSync sync, SyncProgress progress, String id, AutoCloseable artifacts) throws Exception {
        CountDownLatch stopped = new CountDownLatch(1);
        CountDownLatch closed = new CountDownLatch(1);
        // Ctrl-C or SIGTERM: the hook wakes this thread, which closes the client (waiting for a run in progress),
        // and holds the exit until then, so the client state is saved.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopped.countDown();
            try {
                // Longer than the client's own wait for a run in progress when it closes.
                closed.await(90, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "nyla-sync-stop"));
        watchClosed = closed;
        out.println("watching: a check now, then every " + Format.duration(interval) + " with jitter; Ctrl-C stops");
        // Runs in the client's thread at the end of each run; it reads the store, never the client (re-entry
        // into the client from a listener is refused).
        progress.onCompleted(r -> report(r, progress, sync.store(), id, progress.offered()));
        sync.start();
        stopped.await();
        out.println(progress.stop().map(i -> "stopping: interrupting " + i.what() + " (the next sync " + i.next()
                + "); saving the client state").orElse("stopping: no sync run in progress; saving the client state"));
        artifacts.close(); // aborts open downloads at once (resumed next time from their .part files)
        return Main.OK;
    }

    /** Removes a shutdown hook, unless the JVM is already shutting down (then the hook runs anyway). */
    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or has run: its line is the last word
        }
    }

    /** Prints the run's one-line outcome; {@code trusted} is the highest version the client trusts. */
    private int report(SyncResult r, SyncProgress progress, VectorStore target, String id, long trusted)
            throws IOException {
        if (progress.silenced()) {
            return Main.FAILED; // a stop was announced while the run ended; its line stays the last
        }
        String took = " in " + Format.millis(r.elapsed());
        switch (r.outcome()) {
            case INSTALLED -> {
                Generation g = target.activeGeneration().orElseThrow();
                out.printf(Locale.ROOT, "installed version %d%s by %s: downloaded %s of a %s full payload (%s), %d records%s%n",
                        r.toVersion(), g.label().isEmpty() ? "" : " (" + g.label() + ")",
                        r.route().map(SyncProgress::name).orElse("?"), Format.bytes(r.bytesDownloaded()),
                        Format.bytes(r.fullPayloadBytes()), Format.percent(r.bytesDownloaded(), r.fullPayloadBytes()),
                        g.recordCount(), took);
                return Main.OK;
            }
            case UP_TO_DATE -> {
                out.println(trusted > r.toVersion()
                        ? "up to date: version " + trusted + " is trusted already (not reinstalled); version " + r.toVersion()
                                + " serves (rolled back); nothing downloaded" + took
                        : "up to date: version " + r.toVersion() + " is current; nothing downloaded" + took);
                return Main.OK;
            }
            case NOT_IN_ROLLOUT, DECLINED, DEFERRED_METERED -> {
                Optional<Manifest> m = progress.skipped();
                String offered = m.map(x -> "version " + x.version()).orElse("an update");
                String why = switch (r.outcome()) {
                    case NOT_IN_ROLLOUT -> "staged to " + m.map(x -> x.rollout().percent() + "% of clients").orElse("some clients")
                            + ", not yet to this one (client id " + id + ")";
                    case DECLINED -> "not approved";
                    default -> "deferred on a metered connection";
                };
                out.println(offered + " not installed: " + why + "; "
                        + (r.fromVersion() == 0 ? "the store stays empty" : "version " + r.fromVersion() + " keeps serving"));
                return Main.NOT_INSTALLED;
            }
            case REBUILT_LOCALLY -> {
                out.println("rebuilt locally" + took);
                return Main.OK;
            }
            default -> {
                String reason = r.failure().map(Main::oneLine).orElse(String.join("; ", r.steps()));
                spec.commandLine().getErr().println("nyla-sync sync: failed: " + reason + "; "
                        + (r.fromVersion() == 0 ? "nothing installed" : "version " + r.fromVersion() + " keeps serving"));
                return Main.FAILED;
            }
        }
    }

    private boolean approve(UpdateOffer offer, boolean terminal) {
        Manifest m = offer.offered();
        String what = "version " + m.version() + (m.label().isEmpty() ? "" : " (" + m.label() + ")") + " over version "
                + offer.installedVersion() + ": " + Format.bytes(offer.downloadBytes()) + " by "
                + SyncProgress.name(offer.route());
        if (!terminal) {
            out.println("  update available: " + what + "; --manual without a terminal installs nothing");
            return false;
        }
        String answer = System.console().readLine("  install %s? [y/N] ", what);
        return answer != null && answer.strip().toLowerCase(java.util.Locale.ROOT).startsWith("y");
    }
}
