package dev.nyla.sync.artifact;

import dev.nyla.sync.ContentHash;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Staged rollout: a client installs the version only when {@code hash(clientId, salt) % 100 < percent}.
 *
 * @param percent share of clients that take the version, 0..100
 * @param salt    mixed into the hash so that each version picks its own early clients
 */
public record Rollout(int percent, String salt) {
    public Rollout {
        Objects.requireNonNull(salt, "salt");
        if (percent < 0 || percent > 100) {
            throw new IllegalArgumentException("rollout percent: expected 0..100 but was " + percent);
        }
    }

    /**
     * The client's bucket, 0..99: the first 8 bytes of SHA-256 over the UTF-8 bytes of
     * {@code salt + ":" + clientId}, as an unsigned big-endian integer, modulo 100. Stable for a client
     * within a version; a new salt reshuffles which clients go first.
     */
    public int bucket(String clientId) {
        byte[] d = ContentHash.sha256().digest((salt + ":" + clientId).getBytes(StandardCharsets.UTF_8));
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (d[i] & 0xff);
        }
        return (int) Long.remainderUnsigned(v, 100);
    }

    /** Whether the client with {@code clientId} takes this version: {@code bucket(clientId) < percent}. */
    public boolean includes(String clientId) {
        return bucket(clientId) < percent;
    }
}
