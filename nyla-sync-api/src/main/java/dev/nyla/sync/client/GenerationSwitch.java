package dev.nyla.sync.client;

import dev.nyla.sync.ContentHash;
import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.artifact.ManifestResponse;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.VectorStore;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Switches the store to a newly built generation and back: activating it (its manifest kept first),
 * recording its version as trusted, removing it when it cannot serve, and cleaning up after an install
 * (generations beyond the ones kept for rollback, downloads, manifests of deleted versions). The
 * {@link SyncStateMachine} decides when, in {@link SyncState#SWAPPING} and {@link SyncState#ROLLING_BACK}.
 */
final class GenerationSwitch {
    private static final Logger LOG = LoggerFactory.getLogger(GenerationSwitch.class);

    private final VectorStore store;
    private final LocalState local;
    private final InstalledManifests manifests;
    private final Downloads downloads;
    private final int keepGenerations;
    private final Clock clock;

    GenerationSwitch(VectorStore store, LocalState local, InstalledManifests manifests, Downloads downloads,
                     int keepGenerations, Clock clock) {
        this.store = store;
        this.local = local;
        this.manifests = manifests;
        this.downloads = downloads;
        this.keepGenerations = keepGenerations;
        this.clock = clock;
    }

    /**
     * Keeps {@code m}'s manifest (null for a local rebuild) and activates {@code built}; when that fails,
     * {@code built} is deleted and the previous generation goes on serving.
     *
     * @return the generation that was active before
     */
    Optional<Generation> activate(Generation built, Manifest m, ManifestResponse.Fetched fetched) throws IOException {
        Optional<Generation> previous = store.activeGeneration();
        try {
            if (m != null) {
                manifests.save(m.version(), fetched);
            }
            store.activate(built.id());
        } catch (IOException | RuntimeException e) {
            discard(store, built);
            throw e;
        }
        return previous;
    }

    /**
     * Records the install of {@code built} in the saved state: {@code m}'s version as trusted, with its
     * manifest's ETag and hash (a local rebuild, {@code m} null, changes no trust), and a history entry.
     * When saving fails the in-memory state keeps the new values; {@link LocalState#trust(LocalState.Trust)}
     * puts back the earlier ones.
     */
    void recordInstall(Generation built, Manifest m, ManifestResponse.Fetched fetched) throws IOException {
        if (m != null) {
            local.trust(new LocalState.Trust(m.version(), fetched.etag(), ContentHash.sha256Hex(fetched.manifest()),
                    false));
        }
        local.record(clock.instant(), "install", built.version(),
                (m == null ? "rebuilt locally" : "installed") + ", " + built.recordCount() + " records");
        // Durable after the activation, never before: the state must not claim a version the store does not
        // serve. Until this write lands, a restart infers the trust from the store (LocalState.storeIsAhead);
        // after it the client trusts the version by its own record (which clearVersion can withdraw) and the
        // next check can be a conditional request. The run's last save then finds nothing new to write.
        local.save();
    }

    /** Deletes generations beyond the ones kept for rollback, the downloads, and unneeded manifests. */
    void cleanUp(Generation current, Optional<Generation> previous) {
        try {
            // Keep the active generation and the one rollback() returns to first, then the newest others.
            List<Generation> byPriority = new ArrayList<>();
            byPriority.add(current);
            previous.ifPresent(byPriority::add);
            for (Generation g : store.generations()) {
                if (byPriority.stream().noneMatch(k -> k.id() == g.id())) {
                    byPriority.add(g);
                }
            }
            List<Long> keptVersions = new ArrayList<>();
            for (int i = 0; i < byPriority.size(); i++) {
                Generation g = byPriority.get(i);
                if (i < Math.max(1, keepGenerations)) {
                    keptVersions.add(g.version());
                } else {
                    store.deleteGeneration(g.id());
                }
            }
            downloads.clear();
            manifests.retain(keptVersions);
        } catch (IOException | RuntimeException e) {
            // The install is complete; what is left over is removed after the next one.
            LOG.warn("{}: cleaning up after the install failed: {}", store.location(), e.toString());
        }
    }

    /**
     * Deletes the downloads when the offered version is the installed one: no install needs them. They are
     * there when a process died after activating a version and before its clean-up; without this they would
     * stay until the next version is installed.
     */
    void discardDownloads() {
        try {
            downloads.clear();
        } catch (IOException e) {
            LOG.warn("{}: could not delete the downloads of the installed version: {}", store.location(), e.toString());
        }
    }

    /** Deletes {@code built}, a generation that will not serve; a failure is only logged. */
    static void discard(VectorStore store, Generation built) {
        try {
            store.deleteGeneration(built.id());
        } catch (IOException | RuntimeException e) {
            LOG.warn("{}: could not delete the unused generation {}: {}", store.location(), built.id(), e.toString());
        }
    }
}
