package dev.nyla.sync.client;

import dev.nyla.sync.ArtifactException;
import dev.nyla.sync.ContentHash;
import dev.nyla.sync.LimitExceededException;
import dev.nyla.sync.artifact.ArtifactSource;
import dev.nyla.sync.artifact.KeyDocument;
import dev.nyla.sync.artifact.TrustRoot;
import dev.nyla.sync.artifact.internal.Artifacts;
import dev.nyla.sync.artifact.internal.KeyDocumentFiles;
import dev.nyla.sync.artifact.internal.RootRotation;
import dev.nyla.sync.internal.DurableFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Optional;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keys the client trusts to sign manifests, kept current from the site's key documents (TUF's root
 * rotation): starting from the app's pinned keys, each check fetches {@code keys-<n+1>.json} after the newest
 * document {@code n} it trusts and follows the chain until the source has no next document.
 *
 * <p>Each accepted document is written to {@code keys/} in the state directory (signature first, then the
 * document, each atomically and durably) before the next one is fetched, so a crash mid-walk loses nothing
 * and a restart goes on from there. At start-up the kept documents are verified again from the pins, so a
 * damaged or partly written file is dropped (and fetched again) instead of trusted. The directory records a
 * fingerprint of the pins it was verified from: an app that pins other keys (an app update, the out-of-band
 * recovery) discards the kept documents and follows the site's again from its own pins. Without a state
 * directory the documents are kept in memory only, and every process start follows them from the pins.
 */
final class KeyChain {
    /** The directory of the kept documents inside the state directory. */
    static final String DIR = "keys";
    /** The most documents followed in one check; the next check goes on from there. */
    static final int MAX_STEPS = 64;
    private static final String PINS_FILE = "pins";
    private static final Logger LOG = LoggerFactory.getLogger(KeyChain.class);

    private final Optional<Path> dir;
    private final String pinsFingerprint;
    private TrustRoot current;

    private KeyChain(TrustRoot pinned, Optional<Path> dir) {
        this.dir = dir;
        this.pinsFingerprint = fingerprint(pinned);
        this.current = pinned;
    }

    /**
     * The chain of a client pinning {@code pinned}, with the documents kept in {@code stateDirectory} verified
     * again; kept documents that fail, or were verified from other pins, are deleted.
     */
    static KeyChain open(TrustRoot pinned, Optional<Path> stateDirectory) throws IOException {
        KeyChain chain = new KeyChain(pinned, stateDirectory.map(d -> d.resolve(DIR)));
        chain.load(true);
        return chain;
    }

    /** The trust root the documents kept in {@code stateDirectory} establish, read without changing anything. */
    static TrustRoot saved(TrustRoot pinned, Path stateDirectory) throws IOException {
        KeyChain chain = new KeyChain(pinned, Optional.of(stateDirectory.resolve(DIR)));
        chain.load(false);
        return chain.current;
    }

    /** The trust root as of the last document accepted. */
    TrustRoot current() {
        return current;
    }

    /**
     * Follows {@code source}'s key documents after the current one, keeping each before fetching the next.
     *
     * @return the trust root to verify the manifest with
     * @throws ArtifactException      when a document is refused (forged, rolled back, malformed): the documents
     *                                accepted before it stay trusted
     * @throws LimitExceededException when there are more than {@value #MAX_STEPS} new documents; the next check
     *                                goes on from the last one accepted
     */
    TrustRoot update(ArtifactSource source) throws IOException {
        for (int step = 0; ; step++) {
            long n = current.version() + 1;
            Optional<KeyDocumentFiles> files = Artifacts.fetchKeyDocument(source, n);
            if (files.isEmpty()) {
                return current;
            }
            if (step == MAX_STEPS) {
                throw new LimitExceededException(source.describe(KeyDocument.fileName(n)), "key documents followed in "
                        + "one check", "at most " + MAX_STEPS, "more (the next check goes on from key document "
                        + current.version() + ")");
            }
            TrustRoot next = RootRotation.next(current, files.get().document(), files.get().signatures(),
                    source.describe(KeyDocument.fileName(n)));
            keep(n, files.get());
            LOG.info("{}: trusting key document {}: keys {} (threshold {}), revoked {}", source.describe(), n,
                    next.keyIds(), next.threshold(), next.revoked().keySet());
            current = next;
        }
    }

    private void keep(long n, KeyDocumentFiles files) throws IOException {
        if (dir.isEmpty()) {
            return;
        }
        Files.createDirectories(dir.get());
        Path pins = dir.get().resolve(PINS_FILE);
        if (!Files.exists(pins)) {
            DurableFiles.writeAtomically(pins, (pinsFingerprint + "\n").getBytes(StandardCharsets.US_ASCII));
        }
        // The signature first: a kept document always has its signature beside it.
        DurableFiles.writeAtomically(signatureFile(n), files.signatures());
        DurableFiles.writeAtomically(documentFile(n), files.document());
    }

    private void load(boolean repair) throws IOException {
        if (dir.isEmpty() || !Files.isDirectory(dir.get())) {
            return;
        }
        String kept;
        try {
            kept = Files.readString(dir.get().resolve(PINS_FILE), StandardCharsets.US_ASCII).strip();
        } catch (NoSuchFileException e) {
            kept = "";
        }
        if (!kept.equals(pinsFingerprint)) {
            if (repair) {
                if (hasDocuments()) {
                    LOG.info("{}: the app pins other keys than those the kept key documents were verified from; "
                            + "discarding them and following the site's key documents from the pinned keys", dir.get());
                }
                discardFrom(0);
            }
            return;
        }
        for (long n = current.version() + 1; ; n++) {
            byte[] document;
            byte[] signatures;
            try {
                document = Files.readAllBytes(documentFile(n));
                signatures = Files.readAllBytes(signatureFile(n));
            } catch (NoSuchFileException e) {
                if (repair) {
                    discardFrom(n);
                }
                return;
            }
            try {
                current = RootRotation.next(current, document, signatures, documentFile(n).toString());
            } catch (ArtifactException e) {
                LOG.warn("{}: kept key document {} is no longer valid ({}); it and any after it are fetched from the "
                        + "site again", dir.get(), n, e.getMessage());
                if (repair) {
                    discardFrom(n);
                }
                return;
            }
        }
    }

    private boolean hasDocuments() throws IOException {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir.get())) {
            for (Path p : files) {
                if (keptVersion(p).isPresent()) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Deletes the kept documents from version {@code from} on (all with 0, and then the pins file too). */
    private void discardFrom(long from) throws IOException {
        if (from == 0) {
            // The fingerprint first: documents left by a crash part way are then discarded again at the next start.
            Files.deleteIfExists(dir.get().resolve(PINS_FILE));
        }
        boolean deleted = false;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir.get())) {
            for (Path p : files) {
                OptionalLong v = keptVersion(p);
                if (v.isPresent() && v.getAsLong() >= from) {
                    deleted |= Files.deleteIfExists(p);
                }
            }
        }
        if (deleted || from == 0) {
            DurableFiles.fsyncDirectory(dir.get());
        }
    }

    /** The version of a kept document or signature file ({@code 3.json}, {@code 3.json.sig}); empty otherwise. */
    private static OptionalLong keptVersion(Path p) {
        return KeyDocument.versionOf("keys-" + p.getFileName());
    }

    private Path documentFile(long n) {
        return dir.orElseThrow().resolve(n + ".json");
    }

    private Path signatureFile(long n) {
        return dir.orElseThrow().resolve(n + ".json.sig");
    }

    /** Identifies the pins: their version, threshold and keys (order does not matter). */
    private static String fingerprint(TrustRoot pinned) {
        StringBuilder s = new StringBuilder("nyla-keys pins\nversion " + pinned.version() + "\nthreshold "
                + pinned.threshold() + "\n");
        pinned.keys().stream().map(k -> HexFormat.of().formatHex(ContentHash.sha256().digest(k.getEncoded())))
                .sorted().forEach(h -> s.append(h).append('\n'));
        return ContentHash.sha256Hex(s.toString().getBytes(StandardCharsets.US_ASCII));
    }
}
