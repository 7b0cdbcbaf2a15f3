package dev.nyla.sync.publish;

import dev.nyla.sync.ArtifactException;
import dev.nyla.sync.LimitExceededException;
import dev.nyla.sync.artifact.KeyDocument;
import dev.nyla.sync.artifact.TrustRoot;
import dev.nyla.sync.artifact.internal.KeyDocumentCodec;
import dev.nyla.sync.artifact.internal.KeyDocumentSignature;
import dev.nyla.sync.artifact.internal.RootRotation;
import dev.nyla.sync.internal.DurableFiles;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeSet;

/**
 * The key documents of a site directory ({@code keys-<n>.json} and their signature files), as a publisher
 * sees them: numbered 1..n without a gap, each signed as clients require by the keys of the one before
 * (document 1 by its own keys: the keys apps pin are not in the site).
 *
 * <p>Whoever can write the site could put documents there, so a publisher trusts the newest document's keys
 * only when one of its own keys signed it ({@link #endorsedBy}): the site's history is then its own.
 */
final class SiteKeys {
    private final Path site;
    private final Optional<TrustRoot> latest;
    private final byte[] latestDocument;
    private final byte[] latestSignatures;

    private SiteKeys(Path site, Optional<TrustRoot> latest, byte[] latestDocument, byte[] latestSignatures) {
        this.site = site;
        this.latest = latest;
        this.latestDocument = latestDocument;
        this.latestSignatures = latestSignatures;
    }

    /**
     * Reads and checks the key documents of {@code site}.
     *
     * @throws ArtifactException when a document is missing from the sequence, has no signature file, or is
     *                           refused as a client would refuse it
     */
    static SiteKeys read(Path site) throws IOException {
        TreeSet<Long> versions = versions(site);
        Optional<TrustRoot> root = Optional.empty();
        byte[] document = null;
        byte[] signatures = null;
        for (long n = 1; n <= (versions.isEmpty() ? 0 : versions.last()); n++) {
            Path file = site.resolve(KeyDocument.fileName(n));
            Path signatureFile = site.resolve(KeyDocument.signatureFileName(n));
            if (!Files.isRegularFile(file) || !Files.isRegularFile(signatureFile)) {
                throw new ArtifactException(site.toString(), "key documents", "keys-1.json to "
                        + KeyDocument.fileName(versions.last()) + ", each with its .sig file", "no "
                        + (Files.isRegularFile(file) ? signatureFile.getFileName() : file.getFileName())
                        + " (restore it from a backup of the site; clients cannot follow the keys past it)");
            }
            document = readCapped(file);
            signatures = readCapped(signatureFile);
            TrustRoot before = root.isPresent() ? root.get() : selfSigned(document, file);
            root = Optional.of(RootRotation.next(before, document, signatures, file.toString()));
        }
        return new SiteKeys(site, root, document, signatures);
    }

    /** The trust root of the newest document; empty when the site has none. */
    Optional<TrustRoot> latest() {
        return latest;
    }

    /** The newest document's version, 0 when there is none. */
    long latestVersion() {
        return latest.map(TrustRoot::version).orElse(0L);
    }

    /** Which of {@code keys} signed the newest document (none when there is no document). */
    List<PublicKey> signersOfLatest(Collection<PublicKey> keys) throws IOException {
        if (latest.isEmpty()) {
            return List.of();
        }
        return KeyDocumentSignature.signedBy(latestDocument, latestSignatures, keys,
                site.resolve(KeyDocument.signatureFileName(latestVersion())).toString());
    }

    /**
     * The newest document's keys when {@code own} is one of them and signed it; else none. These are the keys a
     * publisher holding {@code own} accepts on the site's earlier manifests.
     */
    List<PublicKey> endorsedBy(PublicKey own) throws IOException {
        if (latest.isEmpty() || !latest.get().keys().contains(own) || signersOfLatest(List.of(own)).isEmpty()) {
            return List.of();
        }
        return latest.get().keys();
    }

    /**
     * Copies the key documents {@code to} lacks into it, each signature file first; a document there already
     * must be the same.
     *
     * @throws ArtifactException when {@code to} holds another document of the same number
     */
    void copyTo(Path to) throws IOException {
        for (long n = 1; n <= latestVersion(); n++) {
            for (String name : List.of(KeyDocument.signatureFileName(n), KeyDocument.fileName(n))) {
                byte[] bytes = Files.readAllBytes(site.resolve(name));
                Path target = to.resolve(name);
                if (!Files.exists(target)) {
                    DurableFiles.writeAtomically(target, bytes);
                } else if (!Arrays.equals(bytes, Files.readAllBytes(target))) {
                    throw new ArtifactException(target.toString(), "key document", "the same bytes as "
                            + site.resolve(name), "other bytes (two sites with different key histories: publish into "
                            + "the site whose keys clients follow)");
                }
            }
        }
    }

    /** The document versions whose files are in {@code site}. */
    private static TreeSet<Long> versions(Path site) throws IOException {
        TreeSet<Long> versions = new TreeSet<>();
        if (!Files.isDirectory(site)) {
            return versions;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(site, "keys-*")) {
            for (Path p : files) {
                OptionalLong v = KeyDocument.versionOf(p.getFileName().toString());
                v.ifPresent(versions::add);
            }
        }
        return versions;
    }

    /** The document's own keys as the root it is checked against: document 1's predecessor is not in the site. */
    private static TrustRoot selfSigned(byte[] document, Path file) throws ArtifactException {
        KeyDocument d = KeyDocumentCodec.read(document, file.toString());
        return new TrustRoot(0, d.threshold(), d.keys(), Map.of());
    }

    private static byte[] readCapped(Path file) throws IOException {
        long size = Files.size(file);
        if (size > KeyDocument.MAX_BYTES) {
            throw new LimitExceededException(file.toString(), "size", "at most " + KeyDocument.MAX_BYTES + " bytes",
                    size + " bytes");
        }
        return Files.readAllBytes(file);
    }
}
