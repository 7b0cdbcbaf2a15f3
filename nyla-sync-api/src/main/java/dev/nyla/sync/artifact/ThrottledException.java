package dev.nyla.sync.artifact;

import java.io.IOException;
import java.time.Duration;
import java.util.Optional;

/**
 * A host asked the source to slow down: {@code 429 Too Many Requests}, or {@code 503} with a
 * {@code Retry-After}. Retried within the budget after the wait the host asked for (see {@link Throttle});
 * never thrown out of the source, which gives up with {@link SourceUnavailableException} instead.
 */
final class ThrottledException extends IOException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String retryAfterHeader;
    private final transient Duration retryAfter;

    /**
     * @param retryAfterHeader the header as received, or null when the response had none
     * @param retryAfter       the wait it asks for, or null when it had none or an unreadable one
     */
    ThrottledException(int status, String retryAfterHeader, Duration retryAfter) {
        super("HTTP " + status + (retryAfterHeader == null ? "" : " (Retry-After: " + retryAfterHeader + ")"));
        this.status = status;
        this.retryAfterHeader = retryAfterHeader;
        this.retryAfter = retryAfter;
    }

    int status() {
        return status;
    }

    /** The answer as the host gave it, for messages: {@code HTTP 429 with Retry-After: 120}. */
    String answer() {
        return "HTTP " + status + (retryAfterHeader == null ? " without Retry-After" : " with Retry-After: "
                + retryAfterHeader);
    }

    Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }
}
