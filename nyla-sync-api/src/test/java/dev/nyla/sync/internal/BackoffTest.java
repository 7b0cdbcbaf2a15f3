package dev.nyla.sync.internal;

import static org.junit.jupiter.api.Assertions.*;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class BackoffTest {

    @Test
    void backoffCeilingsDoubleUpToTheMaximum() {
        long initial = TimeUnit.MILLISECONDS.toNanos(250);
        long max = TimeUnit.SECONDS.toNanos(30);
        assertEquals(initial, Backoff.ceiling(1, initial, max));
        assertEquals(2 * initial, Backoff.ceiling(2, initial, max));
        assertEquals(64 * initial, Backoff.ceiling(7, initial, max));
        assertEquals(max, Backoff.ceiling(8, initial, max), "128 * 250 ms is above 30 s");
        assertEquals(max, Backoff.ceiling(1000, initial, max), "no overflow");
        assertEquals(0, Backoff.ceiling(5, 0, max));
    }

    @Test
    void fullJitterStaysWithinTheCeiling() {
        for (int failures = 1; failures < 70; failures++) {
            long wait = Backoff.fullJitter(failures, 250, 30_000);
            assertTrue(wait >= 0 && wait <= Backoff.ceiling(failures, 250, 30_000), failures + ": " + wait);
        }
    }
}
