package dev.nyla.sync.artifact;

import java.io.InterruptedIOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;

/**
 * What a host asked for when it throttled one source ({@link ThrottledException}), shared by every request
 * of that source, so that a rate-limiting CDN sees one well-behaved client rather than one per open file:
 *
 * <ul>
 * <li>after a throttling answer, no request of the source goes out before the wait it asked for
 *     ({@code Retry-After}, or the back-off when it gave none) is over;</li>
 * <li>a wait longer than {@code maxWait} is not waited for: the source gives up at once;</li>
 * <li>throttling answers are counted in a row across the source; at {@code maxAttempts} it gives up, as a
 *     single stream would;</li>
 * <li>once given up, the source sends no request until the wait is over, and every request fails at once
 *     with {@link SourceUnavailableException} saying when to try again; after it, the count starts again.</li>
 * </ul>
 */
final class Throttle {
    private final SourceClock clock;
    private final int maxAttempts;
    private final Duration maxWait;
    private Instant notBefore = Instant.MIN; // guarded by this
    private Instant refusedUntil = Instant.MIN; // guarded by this
    private String refusal = ""; // guarded by this
    private int inARow; // guarded by this

    Throttle(SourceClock clock, int maxAttempts, Duration maxWait) {
        this.clock = clock;
        this.maxAttempts = maxAttempts;
        this.maxWait = maxWait;
    }

    /**
     * Waits until the source may send a request to {@code uri}.
     *
     * @throws SourceUnavailableException while the source refuses requests, having given up
     */
    void awaitTurn(URI uri) throws SourceUnavailableException, InterruptedIOException {
        while (true) {
            Duration wait;
            synchronized (this) {
                Instant now = clock.now();
                if (now.isBefore(refusedUntil)) {
                    throw new SourceUnavailableException(uri + ": not requested: " + refusal);
                }
                if (!now.isBefore(notBefore)) {
                    return;
                }
                wait = Duration.between(now, notBefore);
            }
            try {
                clock.sleep(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException(uri + ": interrupted while waiting as the host asked");
            }
        }
    }

    /** A response that was no throttling answer: the count in a row starts again. */
    synchronized void passed() {
        inARow = 0;
    }

    /**
     * Records a throttling answer from {@code uri} and holds the source's next request back for the wait
     * the host asked for, or {@code backoff} when it named none (or a shorter one).
     *
     * @param lastAttempt whether the request's own budget is spent
     * @return the wait before the next request
     * @throws SourceUnavailableException when giving up: the wait is longer than {@code maxWait}, or this
     *         is the last attempt or the source's {@code maxAttempts}-th throttling answer in a row
     */
    synchronized Duration throttled(URI uri, ThrottledException answer, Duration backoff, boolean lastAttempt)
            throws SourceUnavailableException {
        Instant now = clock.now();
        inARow++;
        Duration wait = answer.retryAfter().filter(ra -> ra.compareTo(backoff) > 0).orElse(backoff);
        Instant until = now.plus(wait);
        if (wait.compareTo(maxWait) > 0) {
            refuse(until, "the host answered " + answer.answer() + ", asking to wait " + seconds(wait)
                    + ", more than maxBackoff (" + seconds(maxWait) + ") allows between attempts");
            throw new SourceUnavailableException(uri + ": gave up at once: " + refusal + " (or raise maxBackoff"
                    + " to wait within the retry budget)", answer);
        }
        if (lastAttempt || inARow >= maxAttempts) {
            refuse(until, "the host answered " + answer.answer() + " " + inARow + " times in a row");
            throw new SourceUnavailableException(uri + ": gave up: " + refusal, answer);
        }
        if (until.isAfter(notBefore)) {
            notBefore = until;
        }
        return wait;
    }

    private void refuse(Instant until, String why) {
        // The refusal spares the host until then; after it, the source has a new round of attempts.
        inARow = 0;
        if (until.isAfter(refusedUntil)) {
            refusedUntil = until;
        }
        refusal = why + "; this source sends no request before " + refusedUntil + ": try again after that";
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }
}
