package dev.nyla.sync.spring;

import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.client.NylaSync;
import dev.nyla.sync.client.SyncHistoryEntry;
import dev.nyla.sync.client.SyncStatus;
import dev.nyla.sync.store.Generation;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * The sync client's health: {@code UP} while the store serves a version whose signed manifest has not expired;
 * {@code DOWN} once that manifest has expired (the publisher stopped republishing, or a host keeps serving an
 * old manifest: the next checks fail until a fresh one arrives) or when a check ran and nothing is installed;
 * {@code UNKNOWN} before the first check. A failed check alone leaves it {@code UP}: the installed version keeps
 * serving, and the details name the failure.
 */
final class NylaSyncHealthIndicator extends AbstractHealthIndicator {
    private final NylaSync sync;
    private final Clock clock;

    /** @param clock the client's clock, so that expiry is judged as the client judges it */
    NylaSyncHealthIndicator(NylaSync sync, Clock clock) {
        super("nyla-sync health check failed");
        this.sync = sync;
        this.clock = clock;
    }

    @Override
    protected void doHealthCheck(Health.Builder health) throws Exception {
        SyncStatus status = sync.status();
        Optional<Generation> active = status.active();
        Optional<Manifest> manifest = sync.installedManifest();
        Instant now = clock.instant();

        health.withDetail("state", status.state().name());
        active.ifPresent(g -> health.withDetail("version", g.version()).withDetail("label", g.label())
                .withDetail("records", g.recordCount()).withDetail("model", g.model().id()));
        manifest.ifPresent(m -> health.withDetail("expiresAt", m.expiresAt().toString()));
        status.lastCheck().ifPresent(at -> health.withDetail("lastCheck", at.toString()));
        status.lastResult().ifPresent(r -> health.withDetail("lastResult", r.name()));
        lastFailure(status.history()).ifPresent(f -> health.withDetail("lastFailureAt", f.at().toString())
                .withDetail("lastFailure", f.detail()));

        if (manifest.isPresent() && !now.isBefore(manifest.get().expiresAt())) {
            health.down().withDetail("reason", "the manifest of version " + manifest.get().version() + " expired at "
                    + manifest.get().expiresAt() + "; the publisher must republish (it serves, but no newer "
                    + "version can be seen)");
        } else if (status.lastCheck().isEmpty()) {
            health.unknown().withDetail("reason", "no check has run yet");
        } else if (active.isEmpty()) {
            health.down().withDetail("reason", "nothing is installed: the store has nothing to search");
        } else {
            health.up();
        }
    }

    private static Optional<SyncHistoryEntry> lastFailure(List<SyncHistoryEntry> history) {
        for (int i = history.size() - 1; i >= 0; i--) {
            if (history.get(i).kind().equals("failure")) {
                return Optional.of(history.get(i));
            }
        }
        return Optional.empty();
    }
}
