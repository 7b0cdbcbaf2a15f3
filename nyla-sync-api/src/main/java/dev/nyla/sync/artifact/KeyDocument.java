package dev.nyla.sync.artifact;

import dev.nyla.sync.internal.Ed25519;
import java.security.PublicKey;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A key document of a site: version {@code n} of the set of keys that may sign manifests, published as
 * {@code keys-<n>.json} beside {@code manifest.json} with its signatures in {@code keys-<n>.json.sig}
 * (see {@code docs/artifact-format.md} and {@code docs/security.md}).
 *
 * <p>Document {@code n} is trusted by a client only when a threshold of the keys of document {@code n - 1}
 * (for {@code n = 1}: the keys the app pins) and a threshold of its own keys signed it; see {@link TrustRoot}.
 * That is how a site moves to a new signing key, or revokes a leaked one, without an app update: clients that
 * pinned only the first key follow the documents one by one.
 *
 * @param version   the document's number, 1, 2, …; it must equal the number in its file name
 * @param threshold how many distinct keys of this document must sign the next one (and this one)
 * @param keys      the keys that may sign manifests from this document on, 1..{@value #MAX_KEYS}, distinct
 * @param revoked   ids of keys revoked so far (this document's and every earlier one's), never listed in
 *                  {@code keys} again
 * @param createdAt when the document was written (informational: documents do not expire)
 */
public record KeyDocument(long version, int threshold, List<PublicKey> keys, List<String> revoked, Instant createdAt) {
    /** The value of the document's {@code type} field. */
    public static final String TYPE = "nyla-keys";
    /** The format version this library writes and reads. */
    public static final int FORMAT_VERSION = 1;
    /** The largest key document, and the largest signature file, accepted. */
    public static final int MAX_BYTES = 64 * 1024;
    /** The most keys a document may list. */
    public static final int MAX_KEYS = 100;
    /** The most revoked key ids a document may list. */
    public static final int MAX_REVOKED = 1000;
    private static final Pattern FILE = Pattern.compile("keys-([1-9][0-9]{0,17})\\.json(\\.sig)?");

    /**
     * @throws IllegalArgumentException when a rule above is broken, naming it
     */
    public KeyDocument {
        Objects.requireNonNull(createdAt, "createdAt");
        keys = List.copyOf(keys);
        revoked = List.copyOf(revoked);
        if (version < 1) {
            throw new IllegalArgumentException("version: expected at least 1 but was " + version);
        }
        if (keys.isEmpty() || keys.size() > MAX_KEYS) {
            throw new IllegalArgumentException("keys: expected 1.." + MAX_KEYS + " keys but was " + keys.size());
        }
        if (threshold < 1 || threshold > keys.size()) {
            throw new IllegalArgumentException("threshold: expected 1.." + keys.size() + " (the number of keys) but was "
                    + threshold);
        }
        if (revoked.size() > MAX_REVOKED) {
            throw new IllegalArgumentException("revoked: expected at most " + MAX_REVOKED + " key ids but was "
                    + revoked.size());
        }
        Set<String> ids = new HashSet<>();
        for (PublicKey k : keys) {
            if (!ids.add(SigningKeys.keyId(k))) {
                throw new IllegalArgumentException("keys: expected distinct keys but key " + SigningKeys.keyId(k)
                        + " is listed twice");
            }
        }
        Set<String> seen = new HashSet<>();
        for (String id : revoked) {
            if (!Ed25519.isKeyId(id)) {
                throw new IllegalArgumentException("revoked: expected key ids (16 lowercase hex digits) but found '" + id
                        + "'");
            }
            if (!seen.add(id)) {
                throw new IllegalArgumentException("revoked: expected distinct key ids but " + id + " is listed twice");
            }
            if (ids.contains(id)) {
                throw new IllegalArgumentException("keys: expected no revoked key but key " + id
                        + " is both listed and revoked");
            }
        }
    }

    /** The ids of {@link #keys()}, in the same order. */
    public List<String> keyIds() {
        return keys.stream().map(SigningKeys::keyId).toList();
    }

    /** The site file of document {@code version}: {@code keys-<version>.json}. */
    public static String fileName(long version) {
        if (version < 1) {
            throw new IllegalArgumentException("version: expected at least 1 but was " + version);
        }
        return "keys-" + version + ".json";
    }

    /** The site file of document {@code version}'s signatures: {@code keys-<version>.json.sig}. */
    public static String signatureFileName(long version) {
        return fileName(version) + ".sig";
    }

    /**
     * The document version a site file name belongs to ({@code keys-3.json} and {@code keys-3.json.sig}: 3);
     * empty for any other name.
     */
    public static OptionalLong versionOf(String fileName) {
        Matcher m = FILE.matcher(fileName);
        return m.matches() ? OptionalLong.of(Long.parseLong(m.group(1))) : OptionalLong.empty();
    }
}
