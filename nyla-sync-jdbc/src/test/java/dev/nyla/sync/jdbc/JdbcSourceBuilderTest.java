package dev.nyla.sync.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The builder's settings, checked before any database is asked. */
class JdbcSourceBuilderTest {
    private static final String URL = "jdbc:postgresql://db.example.com/app?user=app&password=hunter2";

    @Test
    void aDataSourceAfterAUrlIsRefusedShowingTheUrlWithoutItsPassword() {
        JdbcSource.Builder b = JdbcSource.builder().url(URL);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> b.dataSource(new DriverDataSource(URL)));
        assertTrue(e.getMessage().startsWith("JdbcSource.Builder: dataSource or url was already set to "
                + "'jdbc:postgresql://db.example.com/app?user=app&password=***'"), e.getMessage());
        assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
    }

    @Test
    void aSecondQueryIsRefusedNamingTheOption() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> JdbcSource.builder().recordsQuery("SELECT 1").recordsQuery("SELECT 2"));
        assertTrue(e.getMessage().startsWith("JdbcSource.Builder: recordsQuery was already set to 'SELECT 1';"),
                e.getMessage());
    }

    @Test
    void aFetchSizeBelowOneIsRefusedNamingTheOption() {
        assertEquals("fetchSize: expected >= 1 but was 0",
                assertThrows(IllegalArgumentException.class, () -> JdbcSource.builder().fetchSize(0)).getMessage());
    }
}
