package dev.nyla.sync.cli;

import dev.nyla.sync.ContentHash;
import dev.nyla.sync.IntegrityException;
import dev.nyla.sync.NylaSyncException;
import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.artifact.TrustRoot;
import dev.nyla.sync.artifact.internal.Artifacts;
import dev.nyla.sync.artifact.internal.ManifestCodec;
import dev.nyla.sync.client.NylaSync;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.IntegrityReport;
import dev.nyla.sync.store.VectorStore;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code nyla-sync verify}: re-hash the installed generation. */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Re-read the active generation and check it against the store's own checksums (Lucene's file "
                + "checksums, the file store's SHA-256, content hashes recomputed for JDBC stores), and check the kept "
                + "manifest of the installed version against the SHA-256 recorded when it was verified and installed, and its "
                + "signature against the pinned public key (or the keys the site's key documents, as sync kept them, "
                + "moved trust to).",
                "Exit 0 when everything matches, 1 naming the first thing that does not."})
final class VerifyCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    final StoreOption store = new StoreOption();

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (VectorStore target = store.openExisting()) {
            Generation g = target.activeGeneration().orElseThrow(() -> new NylaSyncException(
                    target.location() + ": no version installed to verify"));
            out.printf(Locale.ROOT, "verifying %s generation %d (version %d, %d records)%n", target.location(), g.id(), g.version(),
                    g.recordCount());
            long t0 = System.nanoTime();
            IntegrityReport report = target.verifyActiveGeneration();
            out.printf(Locale.ROOT, "store: %s (%s)%n", report.checked(), Format.millis(java.time.Duration.ofNanos(System.nanoTime() - t0)));
            String recorded = g.attributes().get("manifestSha256");
            if (g.version() == 0 || recorded == null) {
                out.println("manifest: none (the generation was not installed from an artifact)");
                return Main.OK;
            }
            ClientHome home = ClientHome.of(target, store.stateDir());
            Path kept = home.directory().resolve("manifests").resolve(g.version() + ".json");
            if (!Files.isRegularFile(kept)) {
                out.println("manifest: not kept in " + kept.getParent() + " (pass --state-dir if sync used one); "
                        + "the store's own check above still holds");
                return Main.OK;
            }
            byte[] bytes = Files.readAllBytes(kept);
            // The helper the client used to record it at install.
            String actual = ContentHash.sha256Hex(bytes);
            if (!actual.equals(recorded)) {
                throw new IntegrityException(kept.toString(), "SHA-256 of the kept manifest", recorded, actual);
            }
            Path signature = kept.resolveSibling(kept.getFileName() + ".sig");
            Optional<ClientHome.Remembered> remembered = home.remembered();
            Manifest m;
            String signed;
            if (Files.isRegularFile(signature) && remembered.isPresent()) {
                // The pinned key, moved on by the site's key documents that sync kept.
                TrustRoot trust = NylaSync.savedTrustRoot(home.directory(),
                        TrustRoot.pinned(List.of(remembered.get().key()), 1));
                m = Artifacts.verifyManifest(bytes, Files.readAllBytes(signature), trust, kept.toString());
                signed = "signature verified again with " + (trust.version() == 0 ? "key "
                        + SigningKeys.keyId(remembered.get().key()) : trust.describe());
            } else {
                m = ManifestCodec.read(bytes, kept.toString());
                signed = "signature not kept (installed by an older client or outside the command line)";
            }
            if (!m.model().isCompatibleWith(g.model())) {
                throw new IntegrityException(kept.toString(), "model", Models.describe(m.model()), Models.describe(g.model()));
            }
            out.printf(Locale.ROOT, "manifest: version %d, SHA-256 %s… as recorded at install, %s; model %s%n", m.version(),
                    actual.substring(0, 16), signed, m.model().id());
            if (m.records() != report.records()) {
                out.printf(Locale.ROOT, "note: the store holds %d records, the artifact %d: it was changed after install "
                        + "(reconcile or direct writes); sync --force reinstalls the version%n", report.records(), m.records());
            }
            out.println("verified: generation " + g.id() + " is intact");
        }
        return Main.OK;
    }
}
