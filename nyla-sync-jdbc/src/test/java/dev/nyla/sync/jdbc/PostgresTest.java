package dev.nyla.sync.jdbc;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.RecordKeys;
import dev.nyla.sync.Similarity;
import dev.nyla.sync.TestData;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.GenerationSpec;
import dev.nyla.sync.store.GenerationWriter;
import dev.nyla.sync.store.InventoryEntry;
import dev.nyla.sync.store.SearchHit;
import dev.nyla.sync.store.SearchRequest;
import dev.nyla.sync.store.StoreException;
import dev.nyla.sync.store.VectorStore;
import dev.nyla.sync.store.VectorStores;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Plain PostgreSQL (the real server) and SQLite specifics: bulk loading, detection, locations, limits. */
class PostgresTest {
    private static final EmbeddingModel MODEL = TestData.model(12, Similarity.COSINE);
    private final String prefix = TestDatabases.uniquePrefix();
    private final String schema = "s" + prefix;
    private DataSource ds;
    @TempDir
    Path dir;

    @BeforeEach
    void connect() {
        ds = TestDatabases.postgres();
    }

    @AfterEach
    void cleanUp() throws SQLException {
        if (ds != null) {
            TestDatabases.dropStore(ds, prefix);
            TestDatabases.dropStore(ds, prefix + "_b");
            try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
                s.execute("DROP SCHEMA IF EXISTS \"" + schema + "\" CASCADE");
            }
        }
    }

    private static Generation install(VectorStore store, List<VectorRecord> records) throws IOException {
        try (GenerationWriter w = store.newGeneration(GenerationSpec.of(1, "v1", MODEL))) {
            for (VectorRecord r : records.stream().sorted((a, b) -> RecordKeys.compare(a.tenant(), a.id(), b.tenant(),
                    b.id())).toList()) {
                w.add(r);
            }
            Generation g = w.commit();
            store.activate(g.id());
            return g;
        }
    }

    @Test
    void binaryCopyAndBatchedInsertsLoadTheSameRows() throws Exception {
        List<VectorRecord> records = new ArrayList<>();
        records.addAll(TestData.records(MODEL, "alice", 700, 1, Map.of("lang", "en")));
        records.addAll(TestData.records(MODEL, "b\u00f6b \uD83D\uDE00", 300, 2, Map.of("k\u00e9y", "v\u00e4lue \"quoted\"")));
        try (JdbcVectorStore copy = JdbcVectorStore.open(ds, JdbcOptions.DEFAULTS.withTablePrefix(prefix));
             JdbcVectorStore insert = JdbcVectorStore.open(ds, JdbcOptions.DEFAULTS.withTablePrefix(prefix + "_b")
                     .withBulkLoad(JdbcOptions.BulkLoad.INSERT))) {
            assertTrue(copy.usesCopy(), "PostgreSQL loads with COPY by default");
            assertFalse(insert.usesCopy());
            assertEquals(JdbcDialect.POSTGRES, copy.dialect(), "no pgvector on this server: plain PostgreSQL");
            install(copy, records);
            install(insert, records);
            for (String tenant : List.of("alice", "b\u00f6b \uD83D\uDE00")) {
                try (Stream<InventoryEntry> a = copy.inventory(tenant); Stream<InventoryEntry> b = insert.inventory(tenant)) {
                    List<InventoryEntry> viaCopy = a.toList();
                    assertEquals(b.toList(), viaCopy);
                    assertEquals(records.stream().filter(r -> r.tenant().equals(tenant)).count(), viaCopy.size());
                }
            }
            Random random = new Random(4);
            for (int q = 0; q < 5; q++) {
                float[] query = TestData.unitVector(random, MODEL.dimension());
                SearchRequest request = SearchRequest.of("b\u00f6b \uD83D\uDE00", query, 20);
                List<SearchHit> a = copy.search(request);
                assertEquals(insert.search(request), a);
                for (SearchHit h : a) {
                    VectorRecord r = records.stream().filter(x -> x.tenant().equals(h.tenant()) && x.id().equals(h.id()))
                            .findFirst().orElseThrow();
                    assertEquals(r.text(), h.text());
                    assertEquals(r.metadata(), h.metadata());
                    assertEquals(MODEL.similarity().score(query, r.vector()), h.score(), 0f, "vectors arrive bit-exact");
                }
            }
        }
    }

    @Test
    void forcingPgvectorWhereTheExtensionIsMissingSaysSo() throws Exception {
        boolean available;
        try (Connection c = ds.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")) {
            available = rs.next();
        }
        org.junit.jupiter.api.Assumptions.assumeFalse(available, "this PostgreSQL has pgvector");
        StoreException e = assertThrows(StoreException.class, () -> JdbcVectorStore.open(ds,
                JdbcOptions.DEFAULTS.withTablePrefix(prefix).withDialect(JdbcDialect.PGVECTOR)));
        assertTrue(e.getMessage().contains("vector"), e.getMessage());
        assertEquals(List.of(), TestDatabases.tablesOf(ds, prefix), "nothing was created");
    }

    @Test
    void textPostgresqlCannotHoldIsRefusedNamingTheRecord() throws Exception {
        try (JdbcVectorStore store = JdbcVectorStore.open(ds, JdbcOptions.DEFAULTS.withTablePrefix(prefix))) {
            install(store, TestData.records(MODEL, "t", 3, 1, Map.of()));
            VectorRecord nul = VectorRecord.of("t", "nul", "before\u0000after", Map.of(), MODEL,
                    TestData.unitVector(new Random(1), MODEL.dimension()));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> store.upsert(List.of(nul)));
            assertTrue(e.getMessage().contains("t/nul") && e.getMessage().contains("U+0000"), e.getMessage());
            try (GenerationWriter w = store.newGeneration(GenerationSpec.of(2, "v2", MODEL))) {
                assertThrows(IllegalArgumentException.class, () -> w.add(nul));
            }
            assertEquals(3, store.stats().records());
        }
    }

    @Test
    void jdbcLocationsOpenTheStoreInASchemaAndHideThePassword() throws Exception {
        String location = TestDatabases.POSTGRES_URL + "&nyla.prefix=" + prefix + "&nyla.schema=" + schema;
        try (VectorStore store = VectorStores.open(location)) {
            assertFalse(store.location().contains("password=nyla"), store.location());
            assertTrue(store.location().contains("password=***"), store.location());
            install(store, TestData.records(MODEL, "t", 4, 1, Map.of()));
            assertEquals(4, store.stats().records());
            assertTrue(store.stats().bytesOnDisk() > 0);
        }
        try (Connection c = ds.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_tables WHERE schemaname = '" + schema + "'")) {
            rs.next();
            assertEquals(3, rs.getInt(1), "store, generations and one generation table in the schema");
        }
        StoreException bad = assertThrows(StoreException.class,
                () -> VectorStores.open(TestDatabases.POSTGRES_URL + "&nyla.colour=blue"));
        assertTrue(bad.getMessage().contains("nyla.colour") && bad.getMessage().contains("prefix"), bad.getMessage());
        assertFalse(bad.getMessage().contains("password=nyla"), bad.getMessage());
    }

    @Test
    void anEmbeddedLocationIsASqliteFileInWalMode() throws Exception {
        Path file = dir.resolve("app.db");
        try (VectorStore store = VectorStores.open("jdbc:sqlite:" + file + "?nyla.prefix=docs")) {
            assertEquals(JdbcDialect.SQLITE, ((JdbcVectorStore) store).dialect());
            install(store, TestData.records(MODEL, "t", 5, 1, Map.of()));
        }
        try (Connection c = SqliteDataSources.of("jdbc:sqlite:" + file, false).getConnection();
             Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("PRAGMA journal_mode")) {
                rs.next();
                assertEquals("wal", rs.getString(1));
            }
            try (ResultSet rs = s.executeQuery("SELECT count(*) FROM docs_g1")) {
                rs.next();
                assertEquals(5, rs.getInt(1));
            }
        }
        try (JdbcVectorStore reopened = JdbcVectorStore.openEmbedded(file, JdbcOptions.DEFAULTS.withTablePrefix("docs"))) {
            assertEquals(5, reopened.activeGeneration().orElseThrow().recordCount());
        }
    }
}
