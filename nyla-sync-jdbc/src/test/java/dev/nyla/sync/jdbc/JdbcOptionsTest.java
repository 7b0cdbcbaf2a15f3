package dev.nyla.sync.jdbc;

import static org.junit.jupiter.api.Assertions.*;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class JdbcOptionsTest {
    @Test
    void locationParametersParseWhateverTheirOrder() {
        Map<String, String> mFirst = new LinkedHashMap<>();
        mFirst.put("m", "48");
        mFirst.put("efConstruction", "200");
        Map<String, String> efFirst = new LinkedHashMap<>();
        efFirst.put("efConstruction", "200");
        efFirst.put("m", "48");
        assertEquals(JdbcOptions.parse(mFirst), JdbcOptions.parse(efFirst));
        assertEquals(48, JdbcOptions.parse(mFirst).hnswM());
        JdbcOptions o = JdbcOptions.parse(Map.of("prefix", "docs", "dialect", "pgvector", "bulkLoad", "insert",
                "createSchema", "false", "exactSearchThreshold", "0", "overFetch", "2", "efSearch", "64"));
        assertEquals("docs", o.tablePrefix());
        assertEquals(Optional.of(JdbcDialect.PGVECTOR), o.dialect());
        assertEquals(JdbcOptions.BulkLoad.INSERT, o.bulkLoad());
        assertFalse(o.createSchema());
        assertEquals(0, o.exactSearchThreshold());
        assertEquals(2, o.overFetch());
        assertEquals(64, o.efSearch());
    }

    @Test
    void badValuesNameTheOptionTheExpectedAndTheActual() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> JdbcOptions.parse(Map.of("m", "48", "efConstruction", "50")));
        assertTrue(e.getMessage().contains("hnswEfConstruction: expected at least 2 × hnswM = 96 but was 50"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> JdbcOptions.parse(Map.of("dialect", "oracle")));
        assertTrue(e.getMessage().contains("postgres, pgvector, sqlite") && e.getMessage().contains("oracle"));
        e = assertThrows(IllegalArgumentException.class, () -> JdbcOptions.parse(Map.of("batchSize", "many")));
        assertTrue(e.getMessage().contains("nyla.batchSize: expected an integer but was 'many'"), e.getMessage());
    }
}
