package dev.nyla.sync.internal;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential back-off with full jitter, as the HTTP artifact source retries and the sync client's schedule
 * after failed checks use it: after the n-th failure in a row, wait a random time in
 * {@code [0, min(max, initial * 2^(n-1))]}, so that clients that failed together do not return together.
 * Any time unit works, as long as both bounds use the same one.
 */
public final class Backoff {
    private Backoff() {
    }

    /** The longest wait after {@code failures} failures in a row (1-based): {@code min(max, initial * 2^(failures-1))}, without overflow. */
    public static long ceiling(int failures, long initial, long max) {
        int shift = failures - 1;
        if (initial == 0) {
            return 0;
        }
        if (shift >= 62 || initial > (max >> shift)) {
            return max;
        }
        return Math.min(max, initial << shift);
    }

    /** A random wait in {@code [0, ceiling(failures, initial, max)]}. */
    public static long fullJitter(int failures, long initial, long max) {
        long ceiling = ceiling(failures, initial, max);
        return ceiling == 0 ? 0 : ThreadLocalRandom.current().nextLong(ceiling + 1);
    }
}
