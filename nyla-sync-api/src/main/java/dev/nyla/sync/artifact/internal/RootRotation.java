package dev.nyla.sync.artifact.internal;

import dev.nyla.sync.ArtifactException;
import dev.nyla.sync.LimitExceededException;
import dev.nyla.sync.MalformedArtifactException;
import dev.nyla.sync.artifact.BadSignatureException;
import dev.nyla.sync.artifact.DowngradeException;
import dev.nyla.sync.artifact.KeyDocument;
import dev.nyla.sync.artifact.TrustRoot;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * TUF's root rotation: a site moves to new signing keys, or revokes a leaked one, by publishing key document
 * {@code n + 1} signed by a threshold of the keys of document {@code n} (for {@code n = 0}: the keys the app pins)
 * and by a threshold of its own keys. The sync client follows a site's documents one by one; the publisher checks
 * a document as a client will before it writes it.
 */
public final class RootRotation {
    private RootRotation() {
    }

    /**
     * Verifies key document {@code root.version() + 1} and returns the trust root it establishes. Signatures by
     * {@code root}'s keys are checked before the document is parsed, as a manifest's are.
     *
     * @param root       the keys trusted now
     * @param document   the exact bytes of {@code keys-<version + 1>.json}
     * @param signatures the bytes of its signature file
     * @param source     what the document is, for messages (the signature file is {@code source + ".sig"})
     * @throws BadSignatureException      when fewer than a threshold of {@code root}'s keys, or of the document's
     *                                    own keys, signed it (forged, tampered, or new keys that did not sign)
     * @throws DowngradeException         when the document's version is lower than its name says (a rollback)
     * @throws MalformedArtifactException when it is not a well-formed key document, its version is higher than its
     *                                    name says, or it drops a revocation
     * @throws ArtifactException          for the other refusals of {@link KeyDocumentCodec#read}
     */
    public static TrustRoot next(TrustRoot root, byte[] document, byte[] signatures, String source)
            throws ArtifactException {
        long expected = root.version() + 1;
        if (document.length > KeyDocument.MAX_BYTES) {
            throw new LimitExceededException(source, "size", "at most " + KeyDocument.MAX_BYTES + " bytes",
                    document.length + " bytes");
        }
        List<KeyDocumentSignature.Entry> entries = KeyDocumentSignature.read(signatures, source + ".sig");
        KeyDocumentSignature.Signers current = KeyDocumentSignature.Signers.of(entries, root.keys(), document);
        if (current.valid().size() < root.threshold()) {
            throw new BadSignatureException(source, "signatures by " + root.describe(), "at least " + root.threshold()
                    + " distinct keys", current + " (forged or altered: the host must serve the document the key "
                    + "holders signed)");
        }
        KeyDocument next = KeyDocumentCodec.read(document, source);
        if (next.version() < expected) {
            throw new DowngradeException(source, "key document version", expected + " (the document after trusted "
                    + "document " + root.version() + ")", next.version() + " (an older document served again: a rollback; the "
                    + "host must serve each document under its own name)");
        }
        if (next.version() > expected) {
            throw new MalformedArtifactException(source, "key document version", expected + " (the number in the "
                    + "file name)", next.version() + " (documents are numbered one by one, each served under its own name)");
        }
        KeyDocumentSignature.Signers own = KeyDocumentSignature.Signers.of(entries, next.keys(), document);
        if (own.valid().size() < next.threshold()) {
            throw new BadSignatureException(source, "signatures by its own keys " + next.keyIds(), "at least "
                    + next.threshold() + " distinct keys (proof that the new keys are held)", own.toString());
        }
        Map<String, Long> allRevoked = new TreeMap<>(root.revoked());
        for (Map.Entry<String, Long> r : root.revoked().entrySet()) {
            if (!next.revoked().contains(r.getKey())) {
                throw new MalformedArtifactException(source, "field revoked", "every key revoked before, with "
                        + r.getKey() + " (revoked in key document " + r.getValue() + ")", next.revoked()
                        + " (a revocation is never undone: rotate to a new key instead)");
            }
        }
        next.revoked().forEach(id -> allRevoked.putIfAbsent(id, next.version()));
        return new TrustRoot(next.version(), next.threshold(), next.keys(), allRevoked);
    }
}
