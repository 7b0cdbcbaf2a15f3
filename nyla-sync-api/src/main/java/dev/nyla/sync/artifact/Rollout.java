package dev.nyla.sync.artifact;

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
}
