package dev.nyla.sync.client;

import dev.nyla.sync.internal.Backoff;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The background checks of a {@link NylaSync}: one at once, then every check interval with jitter, and after
 * failures sooner, with exponential back-off and full jitter ({@link Backoff}, as an
 * {@code HttpArtifactSource} retries), never later than the interval. Runs go through the
 * {@link SyncStateMachine}, which serializes them with the app's own calls.
 */
final class CheckSchedule {
    private static final Logger LOG = LoggerFactory.getLogger(NylaSync.class);
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final SyncStateMachine machine;
    private final String location;
    private final Duration checkInterval;
    private final double jitter;
    private final Duration failureBackoff;
    private final ScheduledExecutorService scheduler;
    private final boolean ownScheduler;
    private final Object lock = new Object();
    private ScheduledFuture<?> next; // guarded by lock
    private boolean started; // guarded by lock
    private volatile boolean closed;

    /** @param scheduler the app's scheduler, or null for a daemon thread of the schedule's own */
    CheckSchedule(SyncStateMachine machine, String location, Duration checkInterval, double jitter,
                  Duration failureBackoff, ScheduledExecutorService scheduler) {
        this.machine = machine;
        this.location = location;
        this.checkInterval = checkInterval;
        this.jitter = jitter;
        this.failureBackoff = failureBackoff;
        this.ownScheduler = scheduler == null;
        this.scheduler = scheduler != null ? scheduler : Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "nyla-sync-" + THREADS.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Starts the checks, once; later calls change nothing.
     *
     * @param checkAtOnce whether the first check runs now, or (after a check the caller ran) when the last
     *                    run's outcome says the next is due
     */
    void start(boolean checkAtOnce) {
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("this NylaSync is closed");
            }
            if (!started) {
                started = true;
                schedule(checkAtOnce ? Duration.ZERO : nextDelay(machine.consecutiveFailures()));
            }
        }
    }

    boolean isClosed() {
        return closed;
    }

    private void schedule(Duration delay) {
        synchronized (lock) {
            if (!closed) {
                next = scheduler.schedule(this::scheduledRun, delay.toMillis(), TimeUnit.MILLISECONDS);
            }
        }
    }

    private void scheduledRun() {
        if (closed) {
            return;
        }
        try {
            SyncResult r = machine.run(false);
            LOG.debug("{}: scheduled check: {}", location, r.outcome());
        } catch (IOException | RuntimeException e) {
            LOG.warn("{}: scheduled check failed: {}", location, e.toString());
        } finally {
            // Whatever happened, the schedule goes on.
            schedule(nextDelay(machine.consecutiveFailures()));
        }
    }

    /** The delay before the next scheduled check. */
    Duration nextDelay(int consecutiveFailures) {
        long interval = checkInterval.toMillis();
        if (consecutiveFailures > 0) {
            return Duration.ofMillis(Math.max(1000,
                    Backoff.fullJitter(consecutiveFailures, failureBackoff.toMillis(), interval)));
        }
        long spread = (long) (interval * jitter);
        return Duration.ofMillis(Math.max(1000, interval + (spread == 0 ? 0 : ThreadLocalRandom.current().nextLong(-spread, spread + 1))));
    }

    /**
     * Stops the checks, waiting for a run in progress to finish (interrupting it after 60 s when the
     * scheduler is the schedule's own).
     *
     * @return whether this call closed the schedule and no run is in progress any more
     */
    boolean close() {
        synchronized (lock) {
            if (closed) {
                return false;
            }
            closed = true;
            if (next != null) {
                next.cancel(false);
            }
        }
        if (!ownScheduler) {
            // The app's scheduler is not ours to stop; a run already started finishes first.
            machine.awaitIdle();
            return true;
        }
        scheduler.shutdown();
        try {
            if (!scheduler.awaitTermination(60, TimeUnit.SECONDS)) {
                LOG.warn("{}: a sync run did not finish within 60 s of close; interrupting it", location);
                scheduler.shutdownNow();
                return scheduler.awaitTermination(10, TimeUnit.SECONDS);
            }
            return true;
        } catch (InterruptedException e) {
            scheduler.shutdownNow();
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
