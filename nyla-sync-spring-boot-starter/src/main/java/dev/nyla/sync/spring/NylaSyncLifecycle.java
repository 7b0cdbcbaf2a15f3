package dev.nyla.sync.spring;

import dev.nyla.sync.client.NylaSync;
import dev.nyla.sync.client.SyncResult;
import dev.nyla.sync.store.Generation;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Starts the context's {@link NylaSync} with the application and closes it before the context's beans are
 * destroyed. The start-up check runs in {@link #start()} when it is {@code blocking}: before the application
 * reports ready, and, since this lifecycle's phase comes before the web server's, before the server listens.
 * At shutdown the order reverses: the server stops taking requests first, then a run in progress finishes and
 * the client stops, and only then are the store and the source closed.
 */
final class NylaSyncLifecycle implements SmartLifecycle {
    private static final Logger LOG = LoggerFactory.getLogger(NylaSyncLifecycle.class);
    /** Before the web server (Spring Boot starts it at {@code DEFAULT_PHASE - 2048}), so after it at shutdown. */
    static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;

    private final NylaSync sync;
    private final NylaSyncProperties.InitialCheck initialCheck;
    private final boolean backgroundChecks;
    private final boolean requireInstalled;
    private volatile boolean running;

    NylaSyncLifecycle(NylaSync sync, NylaSyncProperties.InitialCheck initialCheck, boolean backgroundChecks,
                      boolean requireInstalled) {
        this.sync = sync;
        this.initialCheck = initialCheck;
        this.backgroundChecks = backgroundChecks;
        this.requireInstalled = requireInstalled;
    }

    @Override
    public void start() {
        switch (initialCheck) {
            case BLOCKING -> {
                SyncResult r = checkNow();
                report(r);
                if (requireInstalled) {
                    requireInstalled(r);
                }
                if (backgroundChecks) {
                    sync.startAfterCheck();
                }
            }
            // NylaSyncFactory refuses background without background checks.
            case BACKGROUND -> sync.start();
            case NONE -> {
                if (backgroundChecks) {
                    sync.startAfterCheck();
                }
            }
        }
        running = true;
    }

    private SyncResult checkNow() {
        try {
            return sync.checkNow();
        } catch (IOException e) {
            // Not a failed check (that is a result): the client's own state could not be read or written.
            throw new UncheckedIOException("nyla-sync: the start-up check could not run on "
                    + sync.store().location() + ": " + e.getMessage(), e);
        }
    }

    /** Stops the start-up when the check left the store with nothing to serve (nyla.sync.require-installed). */
    private void requireInstalled(SyncResult r) {
        Optional<Generation> active;
        try {
            active = sync.store().activeGeneration();
        } catch (IOException e) {
            throw new UncheckedIOException("nyla-sync: the store " + sync.store().location()
                    + " could not be read after the start-up check: " + e.getMessage(), e);
        }
        if (active.isEmpty()) {
            throw new NylaSyncConfigurationException("nothing is installed in " + sync.store().location()
                    + " after the start-up check (" + r.outcome() + ": "
                    + r.failure().map(Throwable::getMessage).orElse("no cause") + "), and nyla.sync.require-installed"
                    + " is true", List.of("nyla.sync.source: reachable from here, or",
                    "nyla.sync.baseline: an artifact bundled with the application, installed when the source cannot "
                            + "be reached, or",
                    "nyla.sync.require-installed: false, to start with an empty store (health DOWN until a version "
                            + "is installed)"));
        }
    }

    private void report(SyncResult r) {
        String store = sync.store().location();
        if (r.outcome() == SyncResult.Outcome.FAILED) {
            LOG.warn("nyla-sync: start-up check of {} failed; {}: {}", store,
                    r.fromVersion() == 0 ? "nothing is installed yet" : "version " + r.fromVersion() + " keeps serving",
                    r.failure().map(Throwable::getMessage).orElse("no cause"));
        } else {
            LOG.info("nyla-sync: start-up check of {}: {}, version {} serves", store, r.outcome(), r.toVersion());
        }
    }

    @Override
    public void stop() {
        try {
            sync.close();
        } catch (IOException e) {
            LOG.warn("nyla-sync: closing the client of {} failed: {}", sync.store().location(), e.toString());
        } finally {
            running = false;
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
