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
import dev.nyla.sync.store.ReadOnlyStoreException;
import dev.nyla.sync.store.SearchHit;
import dev.nyla.sync.store.SearchRequest;
import dev.nyla.sync.store.StoreException;
import dev.nyla.sync.store.VectorStore;
import dev.nyla.sync.store.VectorStores;
import dev.nyla.sync.store.internal.ReadOnlyVectorStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A SQLite store opened read-only (SQLITE_OPEN_READONLY) beside a writer that has it open. */
class SqliteReadOnlyTest {
    private static final EmbeddingModel MODEL = TestData.model(16, Similarity.COSINE);
    private static final float[] QUERY = TestData.unitVector(new Random(7), 16);

    @TempDir
    Path dir;

    private static Generation installAndActivate(VectorStore store, long version, List<VectorRecord> records)
            throws IOException {
        Generation g;
        try (GenerationWriter w = store.newGeneration(GenerationSpec.of(version, "v" + version, MODEL))) {
            for (VectorRecord r : records.stream()
                    .sorted((a, b) -> RecordKeys.compare(a.tenant(), a.id(), b.tenant(), b.id())).toList()) {
                w.add(r);
            }
            g = w.commit();
        }
        store.activate(g.id());
        return g;
    }

    private static List<String> ids(List<SearchHit> hits) {
        return hits.stream().map(SearchHit::id).toList();
    }

    @Test
    void readerServesTheActiveGenerationBesideTheWriterAndRefusesWrites() throws IOException {
        Path file = dir.resolve("vectors.db");
        try (JdbcVectorStore writer = JdbcVectorStore.openEmbedded(file)) {
            Generation g = installAndActivate(writer, 1, TestData.records(MODEL, "t", 20, 1, Map.of()));
            try (VectorStore reader = VectorStores.openReadOnly("jdbc:sqlite:" + file)) {
                assertInstanceOf(ReadOnlyVectorStore.class, reader);
                assertEquals(g.id(), reader.activeGeneration().orElseThrow().id());
                assertEquals(ids(writer.search(SearchRequest.of("t", QUERY, 5))),
                        ids(reader.search(SearchRequest.of("t", QUERY, 5))));
                assertEquals(20, reader.verifyActiveGeneration().records());
                assertThrows(ReadOnlyStoreException.class, reader::rollback);
                assertThrows(ReadOnlyStoreException.class,
                        () -> reader.upsert(TestData.records(MODEL, "t", 1, 3, Map.of())));
                // The writer goes on meanwhile; the reader sees the new generation at its next search.
                installAndActivate(writer, 2, TestData.records(MODEL, "t", 3, 2, Map.of()));
                assertEquals(3, reader.search(SearchRequest.of("t", QUERY, 10)).size());
            }
        }
    }

    @Test
    void readerOfADatabaseWithoutAStoreCreatesNoTable() throws Exception {
        Path file = dir.resolve("other.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE unrelated (x INTEGER)");
        }
        StoreException e = assertThrows(StoreException.class, () -> VectorStores.openReadOnly("jdbc:sqlite:" + file));
        assertTrue(e.getMessage().contains("nyla_store"), e.getMessage());
        assertEquals(List.of("unrelated"), tables(file));
    }

    private static List<String> tables(Path file) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")) {
            List<String> out = new java.util.ArrayList<>();
            while (rs.next()) {
                out.add(rs.getString(1));
            }
            return out;
        }
    }

    @Test
    void readerConnectionsAreReadOnlyAtSqlitesLevel() throws Exception {
        Path file = dir.resolve("vectors.db");
        try (JdbcVectorStore writer = JdbcVectorStore.openEmbedded(file)) {
            installAndActivate(writer, 1, TestData.records(MODEL, "t", 2, 1, Map.of()));
        }
        // What the provider hands the store: a write through it fails in SQLite itself, whatever the store does.
        javax.sql.DataSource ds = SqliteDataSources.of("jdbc:sqlite:" + file, true);
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            SQLException e = assertThrows(SQLException.class, () -> s.execute("CREATE TABLE x (y INTEGER)"));
            assertTrue(e.getMessage().contains("READONLY"), e.getMessage());
        }
        assertFalse(tables(file).contains("x"));
        assertTrue(Files.exists(file));
    }

    @Test
    void aMissingFileIsRefusedAsMissingAndNotCreated() {
        Path file = dir.resolve("typo.db");
        StoreException e = assertThrows(StoreException.class, () -> VectorStores.openReadOnly("jdbc:sqlite:" + file));
        assertFalse(e instanceof dev.nyla.sync.store.StoreAccessException, e.getMessage());
        assertTrue(e.getMessage().contains("missing"), e.getMessage());
        assertFalse(Files.exists(file), "reading must not create the database");
    }
}
