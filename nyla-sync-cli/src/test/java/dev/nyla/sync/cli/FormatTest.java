package dev.nyla.sync.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class FormatTest {
    @Test
    void durationsReadShortFormsSumsAndIso() {
        assertEquals(Duration.ofSeconds(90), Format.parseDuration("90s"));
        assertEquals(Duration.ofMinutes(90), Format.parseDuration("1h30m"));
        assertEquals(Duration.ofDays(7), Format.parseDuration("7d"));
        assertEquals(Duration.ofMillis(250), Format.parseDuration("250ms"));
        assertEquals(Duration.ofHours(1), Format.parseDuration("PT1H"));
        assertEquals(Duration.ofHours(2), Format.parseDuration(" 2H "));
    }

    @Test
    void badDurationsNameTheTextAndTheExpectedForm() {
        for (String bad : new String[] {"soon", "1x", "", "h", "10 parsecs", "1h soon", "P1"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Format.parseDuration(bad), bad);
            assertTrue(e.getMessage().contains("'" + bad + "'") && e.getMessage().contains("30m"), e.getMessage());
        }
    }

    @Test
    void stateDirectoryNamesAreReadableAndDistinct() {
        String a = ClientHome.name("jdbc:postgresql://db:5432/app?user=svc&password=***");
        String b = ClientHome.name("jdbc:postgresql://db:5432/app?user=svc&password=***&nyla.prefix=other");
        assertTrue(a.startsWith("jdbc_postgresql_db_5432_app-"), a);
        assertNotEquals(a, b, "two stores in one database get two state directories");
        assertTrue(a.matches("[A-Za-z0-9._-]+"), a);
    }
}
