package dev.nyla.sync.artifact;

import java.security.PublicKey;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The keys a client trusts to sign manifests: the keys the app pins, or those of the newest key document
 * it accepted from the site, following TUF's root rotation. Manifests must be signed by one of {@link #keys()};
 * a key in {@link #revoked()} is refused by name.
 *
 * <p>The sync client (and the publisher, before it writes one) accepts key document {@code version + 1} only
 * when, over its exact bytes, at least {@link #threshold()} distinct keys of this root and at least the new
 * document's own threshold of its own keys signed it (so a rotation needs the current keys, and proves that
 * the new keys are held), its {@code version} field is {@code version + 1} (a document served again under a
 * later name is a rollback), and it revokes every key revoked before (a revocation is never undone).
 *
 * @param version   the key document these keys come from: 0 for keys an app pins before any rotation
 * @param threshold how many distinct keys of {@link #keys()} must sign the next key document
 * @param keys      the keys that may sign manifests
 * @param revoked   every key id revoked so far, with the number of the key document that revoked it
 */
public record TrustRoot(long version, int threshold, List<PublicKey> keys, Map<String, Long> revoked) {

    /**
     * @throws IllegalArgumentException when there is no key, a key is listed twice or revoked, or the
     *                                  threshold is not in 1..keys
     */
    public TrustRoot {
        keys = List.copyOf(keys);
        revoked = Collections.unmodifiableMap(new TreeMap<>(revoked));
        if (version < 0) {
            throw new IllegalArgumentException("version: expected at least 0 but was " + version);
        }
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("keys: expected at least one public key but there is none");
        }
        if (threshold < 1 || threshold > keys.size()) {
            throw new IllegalArgumentException("threshold: expected 1.." + keys.size() + " (the number of keys) but was "
                    + threshold);
        }
        Set<String> ids = new HashSet<>();
        for (PublicKey k : keys) {
            String id = SigningKeys.keyId(k);
            if (!ids.add(id)) {
                throw new IllegalArgumentException("keys: expected distinct keys but key " + id + " is given twice");
            }
            if (revoked.containsKey(id)) {
                throw new IllegalArgumentException("keys: key " + id + " is revoked");
            }
        }
    }

    /** The trust root of keys an app pins, before any key document: version 0. */
    public static TrustRoot pinned(Collection<PublicKey> keys, int threshold) {
        return new TrustRoot(0, threshold, List.copyOf(keys), Map.of());
    }

    /** The ids of {@link #keys()}, in the same order. */
    public List<String> keyIds() {
        return keys.stream().map(SigningKeys::keyId).toList();
    }

    /** "the pinned keys [ids]" or "the keys of key document 3 [ids]", for messages. */
    public String describe() {
        return (version == 0 ? "the pinned keys " : "the keys of key document " + version + " ") + keyIds();
    }
}
