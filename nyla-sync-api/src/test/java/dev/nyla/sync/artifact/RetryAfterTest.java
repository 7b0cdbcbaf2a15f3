package dev.nyla.sync.artifact;

import static org.junit.jupiter.api.Assertions.*;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@code Retry-After} values as hosts send them, well-formed or not. */
class RetryAfterTest {
    private static final Instant NOW = Instant.parse("2015-10-21T07:28:00Z");

    private static Optional<Duration> parse(String value) {
        return RetryAfter.parse(value, Optional.empty(), NOW);
    }

    @Test
    void deltaSecondsAreTheWait() {
        assertEquals(Optional.of(Duration.ofSeconds(120)), parse("120"));
        assertEquals(Optional.of(Duration.ZERO), parse(" 0 "));
        assertEquals(Optional.of(Duration.ofDays(365)), parse("99999999999999999999999"), "capped, not overflowed");
    }

    @Test
    void anHttpDateIsTheWaitUntilItFromTheResponsesDateOrElseFromNow() {
        assertEquals(Optional.of(Duration.ofSeconds(90)), parse("Wed, 21 Oct 2015 07:29:30 GMT"));
        assertEquals(Optional.of(Duration.ofSeconds(30)), RetryAfter.parse("Wed, 21 Oct 2015 07:29:30 GMT",
                Optional.of("Wed, 21 Oct 2015 07:29:00 GMT"), NOW));
        assertEquals(Optional.of(Duration.ofSeconds(90)), RetryAfter.parse("Wed, 21 Oct 2015 07:29:30 GMT",
                Optional.of("not a date"), NOW), "an unreadable Date falls back to the local clock");
        assertEquals(Optional.of(Duration.ZERO), parse("Wed, 21 Oct 2015 07:00:00 GMT"), "a past date: no wait");
    }

    @Test
    void anythingElseIsIgnored() {
        for (String v : new String[] {"", "-5", "1.5", "soon", "120s", "Wed, 21 Oct 2015"}) {
            assertEquals(Optional.empty(), parse(v), v);
        }
    }
}
