package dev.nyla.sync.artifact;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * Reads a {@code Retry-After} header (RFC 9110, 10.2.3): delta-seconds, or an HTTP-date. A date is taken
 * relative to the response's own {@code Date} header when it has a readable one, so that a client whose
 * clock is wrong still waits what the host meant; otherwise relative to the local clock.
 */
final class RetryAfter {
    /** Longer than any wait worth honouring, short enough that adding it to an instant cannot overflow. */
    private static final Duration LONGEST = Duration.ofDays(365);

    private RetryAfter() {
    }

    /**
     * How long {@code value} asks to wait, never negative; empty when it is neither delta-seconds nor an
     * HTTP-date (then it is ignored, as if absent).
     */
    static Optional<Duration> parse(String value, Optional<String> date, Instant now) {
        String v = value.strip();
        if (!v.isEmpty() && v.chars().allMatch(c -> c >= '0' && c <= '9')) {
            // Digits beyond what a long holds still mean "very long".
            return Optional.of(v.length() > 12 ? LONGEST : min(Duration.ofSeconds(Long.parseLong(v))));
        }
        Optional<Instant> at = httpDate(v);
        if (at.isEmpty()) {
            return Optional.empty();
        }
        Instant reference = date.flatMap(RetryAfter::httpDate).orElse(now);
        Duration wait = Duration.between(reference, at.get());
        return Optional.of(wait.isNegative() ? Duration.ZERO : min(wait));
    }

    private static Optional<Instant> httpDate(String s) {
        try {
            return Optional.of(ZonedDateTime.parse(s.strip(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    private static Duration min(Duration d) {
        return d.compareTo(LONGEST) > 0 ? LONGEST : d;
    }
}
