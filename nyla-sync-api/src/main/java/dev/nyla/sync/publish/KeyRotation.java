package dev.nyla.sync.publish;

import dev.nyla.sync.ArtifactException;
import dev.nyla.sync.artifact.KeyDocument;
import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.artifact.TrustRoot;
import dev.nyla.sync.artifact.internal.KeyDocumentCodec;
import dev.nyla.sync.artifact.internal.KeyDocumentSignature;
import dev.nyla.sync.artifact.internal.RootRotation;
import dev.nyla.sync.internal.BuilderOptions;
import dev.nyla.sync.internal.DurableFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a site's next key document: the keys that may sign manifests from now on, so that clients move to
 * a new key, or stop trusting a leaked one, without an app update (see {@code docs/security.md}).
 *
 * <pre>{@code
 * KeyDocument d = KeyRotation.builder(Path.of("site"))
 *         .signingKey(SigningKeys.readKeyPair(Path.of("release.key")))     // the current key(s)
 *         .newKey(SigningKeys.readKeyPair(Path.of("release-2.key")))       // signs too: proof it is held
 *         .revoke("0123456789abcdef")                                      // optional
 *         .rotate();
 * }</pre>
 *
 * <p>The next document lists the current keys and the new ones, less the revoked ones (a key leaves only by
 * revocation, and a revocation is never undone); its threshold is the current one unless set. It is signed by
 * every signing key and every new key, and checked as a client checks it before anything is written: the
 * signing keys must be a threshold of the current document's keys, and the new keys a threshold of the next
 * one's. The current keys are those of the site's newest key document, or, on a site without one, the signing
 * keys themselves, which must then be keys the apps pin (this cannot be checked here). The signature file is
 * written before the document, each atomically, so a client never finds a document without its signatures
 * on this directory (a host being uploaded to may still show the document first; clients then wait).
 */
public final class KeyRotation {
    private static final Logger LOG = LoggerFactory.getLogger(KeyRotation.class);

    private final Path site;
    private final List<KeyPair> signingKeys;
    private final List<KeyPair> newKeys;
    private final Set<String> revoke;
    private final OptionalInt threshold;
    private final Clock clock;

    private KeyRotation(Builder b) {
        this.site = b.site;
        this.signingKeys = List.copyOf(b.signingKeys.values());
        this.newKeys = List.copyOf(b.newKeys.values());
        this.revoke = Set.copyOf(b.revoke);
        this.threshold = b.threshold;
        this.clock = b.clock;
    }

    /** A rotation of the keys of {@code site}, the directory a publisher writes. */
    public static Builder builder(Path site) {
        return new Builder(site);
    }

    private KeyDocument write() throws IOException {
        SiteKeys keys = SiteKeys.read(site);
        List<PublicKey> signing = signingKeys.stream().map(KeyPair::getPublic).toList();
        TrustRoot current = keys.latest().orElse(TrustRoot.pinned(signing, signing.size()));
        long n = current.version() + 1;
        String name = KeyDocument.fileName(n);
        for (PublicKey k : signing) {
            Long revokedIn = current.revoked().get(SigningKeys.keyId(k));
            if (revokedIn != null) {
                throw new IllegalArgumentException("signingKey: key " + SigningKeys.keyId(k) + " was revoked in key "
                        + "document " + revokedIn + "; sign with keys of " + current.describe());
            }
        }
        if (keys.latest().isPresent() && keys.signersOfLatest(signing).isEmpty()) {
            // The site's documents were written by someone else, or the wrong keys were given.
            throw new ArtifactException(site.resolve(KeyDocument.fileName(current.version())).toString(),
                    "signers", "a document signed by one of the signing keys " + ids(signing), "a document none of them "
                    + "signed (give the keys that signed the site's last rotation)");
        }
        List<PublicKey> nextKeys = new ArrayList<>(current.keys());
        for (KeyPair k : newKeys) {
            String id = SigningKeys.keyId(k.getPublic());
            if (current.revoked().containsKey(id)) {
                throw new IllegalArgumentException("newKey: key " + id + " was revoked in key document "
                        + current.revoked().get(id) + "; a revoked key never comes back, make a new one");
            }
            if (current.keyIds().contains(id)) {
                throw new IllegalArgumentException("newKey: key " + id + " is already one of " + current.describe());
            }
            nextKeys.add(k.getPublic());
        }
        for (String id : revoke) {
            if (current.revoked().containsKey(id)) {
                throw new IllegalArgumentException("revoke: key " + id + " was revoked already, in key document "
                        + current.revoked().get(id));
            }
            if (!current.keyIds().contains(id)) {
                throw new IllegalArgumentException("revoke: expected the id of one of " + current.describe()
                        + " but was " + id);
            }
        }
        nextKeys.removeIf(k -> revoke.contains(SigningKeys.keyId(k)));
        int nextThreshold = threshold.orElse(keys.latest().isPresent() ? current.threshold() : 1);
        if (newKeys.isEmpty() && revoke.isEmpty() && nextThreshold == current.threshold() && keys.latest().isPresent()) {
            throw new IllegalArgumentException("nothing to rotate: give a new key, a key to revoke or another threshold");
        }
        if (nextKeys.isEmpty()) {
            throw new IllegalArgumentException("revoke: revoking " + revoke + " leaves no key; add a new key");
        }
        if (nextThreshold > nextKeys.size()) {
            throw new IllegalArgumentException("threshold: expected 1.." + nextKeys.size() + " (the keys of key document "
                    + n + ") but was " + nextThreshold + "; give a lower threshold");
        }
        requireSigners("signingKey", signing, current.keys(), current.threshold(), current.describe());
        List<PublicKey> allSigners = new ArrayList<>(signing);
        newKeys.forEach(k -> allSigners.add(k.getPublic()));
        requireSigners("newKey", allSigners, nextKeys, nextThreshold, "the keys of key document " + n + " "
                + ids(nextKeys) + " (proof that they are held)");
        Set<String> revoked = new LinkedHashSet<>(current.revoked().keySet());
        revoked.addAll(revoke);
        KeyDocument document = new KeyDocument(n, nextThreshold, nextKeys, List.copyOf(revoked),
                clock.instant().truncatedTo(ChronoUnit.SECONDS));
        byte[] bytes = KeyDocumentCodec.write(document);
        List<KeyPair> signers = new ArrayList<>(signingKeys);
        signers.addAll(newKeys);
        byte[] signatures = KeyDocumentSignature.sign(bytes, signers);
        // As a client will: the signing keys must be a threshold of the current keys, the new keys of the next.
        RootRotation.next(current, bytes, signatures, site.resolve(name).toString());
        Path file = site.resolve(name);
        if (Files.exists(file)) {
            throw new ArtifactException(file.toString(), "key document", "none yet", "a document written meanwhile "
                    + "(run one rotation at a time)");
        }
        Files.createDirectories(site);
        DurableFiles.writeAtomically(site.resolve(KeyDocument.signatureFileName(n)), signatures);
        DurableFiles.writeAtomically(file, bytes);
        LOG.info("{}: key document {} written: keys {} (threshold {}), revoked {}", site, n, document.keyIds(),
                nextThreshold, revoked);
        return document;
    }

    /** Checks that at least {@code threshold} of {@code keys} are among {@code signers}. */
    private static void requireSigners(String option, List<PublicKey> signers, List<PublicKey> keys, int threshold,
                                       String keysName) {
        List<PublicKey> signing = signers.stream().filter(keys::contains).toList();
        if (signing.size() < threshold) {
            throw new IllegalArgumentException(option + ": expected signatures by at least " + threshold + " of "
                    + keysName + " but the keys given sign with " + ids(signing));
        }
    }

    private static List<String> ids(List<PublicKey> keys) {
        return keys.stream().map(SigningKeys::keyId).toList();
    }

    /**
     * Configures a {@link KeyRotation}; at least one signing key is required. {@link #signingKey},
     * {@link #newKey} and {@link #revoke} add one more each call; {@link #threshold} and {@link #clock} are
     * set once: a second call throws an {@link IllegalStateException} naming the option and its value.
     */
    public static final class Builder {
        private final BuilderOptions options = new BuilderOptions("KeyRotation.Builder");
        private final Path site;
        private final Map<String, KeyPair> signingKeys = new LinkedHashMap<>();
        private final Map<String, KeyPair> newKeys = new LinkedHashMap<>();
        private final Set<String> revoke = new LinkedHashSet<>();
        private OptionalInt threshold = OptionalInt.empty();
        private Clock clock = Clock.systemUTC();

        private Builder(Path site) {
            this.site = Objects.requireNonNull(site, "site");
        }

        /** A current key, which signs the next document; repeat until the current threshold is reached. */
        public Builder signingKey(KeyPair keys) {
            signingKeys.putIfAbsent(SigningKeys.keyId(Objects.requireNonNull(keys, "keys").getPublic()), keys);
            return this;
        }

        /** A key to trust from the next document on; it signs the document too, as proof that it is held. */
        public Builder newKey(KeyPair keys) {
            newKeys.putIfAbsent(SigningKeys.keyId(Objects.requireNonNull(keys, "keys").getPublic()), keys);
            return this;
        }

        /** The id of a current key to revoke: clients refuse manifests it signs from the next document on. */
        public Builder revoke(String keyId) {
            revoke.add(Objects.requireNonNull(keyId, "keyId"));
            return this;
        }

        /** How many distinct keys of the next document must sign the one after it (default: unchanged, or 1). */
        public Builder threshold(int threshold) {
            if (threshold < 1) {
                throw new IllegalArgumentException("threshold: expected at least 1 but was " + threshold);
            }
            this.threshold = OptionalInt.of(options.once("threshold", threshold));
            return this;
        }

        /** The clock for the document's {@code createdAt} (tests). */
        public Builder clock(Clock clock) {
            this.clock = options.once("clock", clock);
            return this;
        }

        /**
         * Writes the site's next key document and its signatures.
         *
         * @return the document written
         * @throws IllegalArgumentException when no signing key is given, a new key is current or revoked, a revoked
         *                                  id is not a current key, or nothing changes
         * @throws ArtifactException        when the site's key documents are not a valid chain, none of the signing
         *                                  keys signed the newest, or the signing keys are fewer than its threshold
         */
        public KeyDocument rotate() throws IOException {
            if (signingKeys.isEmpty()) {
                throw new IllegalArgumentException("signingKey(...) is required: the current key(s) that sign the "
                        + "next key document");
            }
            return new KeyRotation(this).write();
        }
    }
}
