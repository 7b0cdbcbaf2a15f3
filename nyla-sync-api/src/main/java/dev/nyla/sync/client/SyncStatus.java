package dev.nyla.sync.client;

import dev.nyla.sync.store.Generation;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A snapshot of the sync client and its store, for status displays and health checks.
 *
 * @param state          what the client is doing now
 * @param trustedVersion the highest version verified and installed; never goes down except by
 *                       {@link NylaSync#clearVersion()} (a manual rollback keeps it, so the rolled-back version
 *                       is not reinstalled)
 * @param active         the generation readers see, if any
 * @param generations    the generations the store keeps, newest first
 * @param clientId       this installation's id for staged rollouts
 * @param lastCheck      when the source was last asked
 * @param lastResult     the outcome of the last run, if any ran
 * @param history        recent events, oldest first
 */
public record SyncStatus(SyncState state, long trustedVersion, Optional<Generation> active, List<Generation> generations,
                         String clientId, Optional<Instant> lastCheck, Optional<SyncResult.Outcome> lastResult,
                         List<SyncHistoryEntry> history) {
    public SyncStatus {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(active, "active");
        Objects.requireNonNull(clientId, "clientId");
        Objects.requireNonNull(lastCheck, "lastCheck");
        Objects.requireNonNull(lastResult, "lastResult");
        generations = List.copyOf(generations);
        history = List.copyOf(history);
    }
}
