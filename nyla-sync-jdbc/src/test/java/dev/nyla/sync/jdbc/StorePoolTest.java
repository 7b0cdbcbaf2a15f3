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
import dev.nyla.sync.store.SearchRequest;
import dev.nyla.sync.store.StoreException;
import dev.nyla.sync.store.VectorStore;
import dev.nyla.sync.store.VectorStores;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pool of stores opened by location or {@link JdbcVectorStore#openEmbedded}, on SQLite. */
class StorePoolTest {
    private static final EmbeddingModel MODEL = TestData.model(8, Similarity.COSINE);

    @TempDir
    Path dir;

    private static void install(VectorStore store, List<VectorRecord> records) throws IOException {
        Generation g;
        try (GenerationWriter w = store.newGeneration(GenerationSpec.of(1, "v1", MODEL))) {
            for (VectorRecord r : records.stream()
                    .sorted((a, b) -> RecordKeys.compare(a.tenant(), a.id(), b.tenant(), b.id())).toList()) {
                w.add(r);
            }
            g = w.commit();
        }
        store.activate(g.id());
    }

    @Test
    void aStoreOnItsPoolReusesConnectionsAndClosesEveryOneWithItself() throws IOException {
        Path file = dir.resolve("vectors.db");
        String url = "jdbc:sqlite:" + file;
        Databases.Recording driver = new Databases.Recording(SqliteDataSources.of(url, false));
        JdbcVectorStore store = StorePool.open(driver, url, false, 10,
                pool -> JdbcVectorStore.open(pool, JdbcOptions.DEFAULTS, url, Optional.of(file)));
        int operations = 0;
        try {
            install(store, TestData.records(MODEL, "t", 50, 1, Map.of()));
            Random random = new Random(3);
            for (int i = 0; i < 100; i++) {
                assertEquals(5, store.search(SearchRequest.of("t", TestData.unitVector(random, 8), 5)).size());
                operations++;
            }
            try (Stream<InventoryEntry> inventory = store.inventory("t")) {
                assertEquals(50, inventory.count());
            }
            operations++;
            // Every operation borrowed a connection; the driver made only the pool's few.
            assertTrue(driver.handedOut.size() <= 3, driver.handedOut.size() + " connections for " + operations
                    + " operations");
            assertFalse(driver.open(c -> true).isEmpty(), "the pool keeps a connection between operations");
        } finally {
            store.close();
        }
        assertEquals(List.of(), driver.open(c -> true), "closing the store closes the pool's connections");
    }

    @Test
    void pooledSqliteConnectionsKeepTheDriversSettings() throws Exception {
        Path file = dir.resolve("settings.db");
        try (JdbcVectorStore store = JdbcVectorStore.openEmbedded(file)) {
            install(store, TestData.records(MODEL, "t", 3, 1, Map.of()));
        }
        // What the pool hands out comes from the driver's data source: WAL, synchronous=FULL (2), busy timeout.
        Databases.Recording driver = new Databases.Recording(SqliteDataSources.of("jdbc:sqlite:" + file, false));
        DataSource seen = StorePool.open(driver, "jdbc:sqlite:" + file, false, 10, pool -> pool);
        try (Connection c = seen.getConnection(); Statement s = c.createStatement()) {
            assertEquals("wal", query(s, "PRAGMA journal_mode"));
            assertEquals("2", query(s, "PRAGMA synchronous"));
            assertEquals("30000", query(s, "PRAGMA busy_timeout"));
        } finally {
            ((StorePool) seen).close();
        }
    }

    @Test
    void aReadOnlyPoolHandsOutReadOnlyConnections() throws Exception {
        Path file = dir.resolve("ro.db");
        try (JdbcVectorStore store = JdbcVectorStore.openEmbedded(file)) {
            install(store, TestData.records(MODEL, "t", 3, 1, Map.of()));
        }
        DataSource pool = StorePool.open(SqliteDataSources.of("jdbc:sqlite:" + file, true), "jdbc:sqlite:" + file, true,
                1, p -> p);
        try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
            assertTrue(c.isReadOnly());
            SQLException e = assertThrows(SQLException.class, () -> s.execute("CREATE TABLE x (y INTEGER)"));
            assertTrue(e.getMessage().contains("READONLY"), e.getMessage());
        } finally {
            ((StorePool) pool).close();
        }
    }

    @Test
    void aDatabaseThatCannotBeOpenedFailsAtOnceWithTheDriversMessage() {
        Path missingDir = dir.resolve("no-such-dir").resolve("vectors.db");
        StoreException e = assertThrows(StoreException.class, () -> JdbcVectorStore.openEmbedded(missingDir));
        assertTrue(e.getMessage().contains("cannot open the store"), e.getMessage());
        assertInstanceOf(SQLException.class, e.getCause());
        assertFalse(Files.exists(missingDir.getParent()));
    }

    @Test
    void aLocationSizesItsPoolAndABadSizeIsRefusedByName() throws IOException {
        Path file = dir.resolve("sized.db");
        try (VectorStore store = VectorStores.open("jdbc:sqlite:" + file + "?nyla.maxConnections=2")) {
            install(store, TestData.records(MODEL, "t", 3, 1, Map.of()));
            assertEquals(3, store.stats().records());
        }
        for (String bad : List.of("0", "1001", "many")) {
            StoreException e = assertThrows(StoreException.class,
                    () -> VectorStores.open("jdbc:sqlite:" + file + "?nyla.maxConnections=" + bad));
            assertTrue(e.getMessage().contains("nyla.maxConnections") && e.getMessage().contains("'" + bad + "'")
                    && e.getMessage().contains("from 1 to 1000"), e.getMessage());
        }
    }

    private static String query(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
