package dev.nyla.sync.artifact;

import dev.nyla.sync.internal.Backoff;
import dev.nyla.sync.NylaSyncException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When {@link HttpArtifactSource} tries again: which failures are retried, how many attempts in a row a
 * file gets, and how long it waits in between (exponential back-off with full jitter, {@link Backoff}, as
 * the sync client's failed checks; longer when the host throttles, through the source's {@link Throttle}).
 * See the source's class description for the rules.
 */
final class RetryPolicy {
    // The source's logger: an application sets one log level for everything a source does.
    private static final Logger LOG = LoggerFactory.getLogger(HttpArtifactSource.class);

    private final int maxAttempts;
    private final long initialBackoffNanos;
    private final long maxBackoffNanos;
    private final Throttle throttle;
    private final SourceClock clock;

    RetryPolicy(int maxAttempts, Duration initialBackoff, Duration maxBackoff, Throttle throttle, SourceClock clock) {
        this.maxAttempts = maxAttempts;
        this.initialBackoffNanos = SourceRequests.nanos(initialBackoff);
        this.maxBackoffNanos = SourceRequests.nanos(maxBackoff);
        this.throttle = throttle;
        this.clock = clock;
    }

    /** A budget of attempts for one file, read from byte {@code start} on. */
    Budget budget(URI uri, long start) {
        return new Budget(uri, start);
    }

    /**
     * Whether {@code e} may go away by trying again. Typed failures (integrity, limits, refusals), a
     * missing file and an interrupted thread are final.
     */
    static boolean isRetryable(IOException e) {
        if (e instanceof NylaSyncException || e instanceof FileNotFoundException) {
            return false;
        }
        return !(e instanceof InterruptedIOException && Thread.currentThread().isInterrupted());
    }

    /** A failure as the log and the exceptions name it: its message, with its type unless a plain IOException. */
    static String reason(Throwable t) {
        String message = t.getMessage();
        if (message == null || message.isBlank()) {
            return t.getClass().getSimpleName();
        }
        return t.getClass() == IOException.class ? message : t.getClass().getSimpleName() + ": " + message;
    }

    /**
     * Counts failed attempts in a row for one file. A failure after new bytes arrived starts the count
     * again (see the source's class description).
     */
    final class Budget {
        private final URI uri;
        private int failuresInARow;
        private long positionAtLastFailure;

        private Budget(URI uri, long start) {
            this.uri = uri;
            this.positionAtLastFailure = start;
        }

        /** Records a retryable failure at {@code position}; backs off, or throws when the budget is spent. */
        void failed(IOException cause, long position) throws IOException {
            if (position > positionAtLastFailure) {
                failuresInARow = 0;
            }
            positionAtLastFailure = position;
            failuresInARow++;
            String at = position > 0 ? " at byte " + position : "";
            long pause = Backoff.fullJitter(failuresInARow, initialBackoffNanos, maxBackoffNanos);
            if (cause instanceof ThrottledException throttled) {
                // The wait is the source's, not this request's: the next request of any stream waits it out.
                Duration wait = throttle.throttled(uri, throttled, Duration.ofNanos(pause),
                        failuresInARow >= maxAttempts);
                LOG.warn("{}: attempt {} of {}{}: {}; retrying in {} ms as the host asked", uri, failuresInARow,
                        maxAttempts, at, throttled.answer(), wait.toMillis());
                return;
            }
            if (failuresInARow >= maxAttempts) {
                throw new SourceUnavailableException(uri + ": gave up after " + failuresInARow
                        + (failuresInARow == 1 ? " attempt" : " attempts") + " in a row without progress" + at
                        + "; last failure: " + reason(cause), cause);
            }
            LOG.warn("{}: attempt {} of {} failed{} ({}); retrying in {} ms", uri, failuresInARow, maxAttempts, at,
                    reason(cause), TimeUnit.NANOSECONDS.toMillis(pause));
            try {
                clock.sleep(Duration.ofNanos(pause));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException(uri + ": interrupted while waiting to retry");
            }
        }
    }
}
