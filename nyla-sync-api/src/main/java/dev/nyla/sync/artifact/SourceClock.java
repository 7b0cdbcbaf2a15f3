package dev.nyla.sync.artifact;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * Time as {@link HttpArtifactSource} reads and spends it: the wall clock (to read a {@code Retry-After}
 * date) and its waits between attempts. Tests substitute one that moves on when asked to wait, so that
 * waits are observed instead of slept.
 */
interface SourceClock {
    /** The system clock; waits sleep the calling thread. */
    SourceClock SYSTEM = new SourceClock() {
        @Override
        public Instant now() {
            return Instant.now();
        }

        @Override
        public void sleep(Duration d) throws InterruptedException {
            TimeUnit.NANOSECONDS.sleep(d.toNanos());
        }
    };

    Instant now();

    /** Waits for {@code d}, which is never negative. */
    void sleep(Duration d) throws InterruptedException;
}
