package dev.nyla.sync.spring;

import dev.nyla.sync.client.NylaSync;
import dev.nyla.sync.client.SyncResult;
import java.io.IOException;
import java.io.UncheckedIOException;
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
    private volatile boolean running;

    NylaSyncLifecycle(NylaSync sync, NylaSyncProperties.InitialCheck initialCheck, boolean backgroundChecks) {
        this.sync = sync;
        this.initialCheck = initialCheck;
        this.backgroundChecks = backgroundChecks;
    }

    @Override
    public void start() {
        switch (initialCheck) {
            case BLOCKING -> {
                report(checkNow());
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
