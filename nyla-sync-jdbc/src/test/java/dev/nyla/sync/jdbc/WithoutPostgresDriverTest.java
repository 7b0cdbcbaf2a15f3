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
import dev.nyla.sync.store.SearchRequest;
import dev.nyla.sync.store.StoreException;
import dev.nyla.sync.store.VectorStore;
import dev.nyla.sync.store.VectorStores;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An application that brought only the SQLite driver (the drivers are optional dependencies): PostgreSQL
 * locations are refused with the artifact to add, and SQLite works end to end. Runs in a surefire execution of
 * its own without {@code postgresql} on the class path; the expected artifact comes from the root pom.
 */
@Tag("without-postgresql-driver")
class WithoutPostgresDriverTest {
    private static final String ARTIFACT = "org.postgresql:postgresql:" + System.getProperty("nyla.test.postgresql.version");
    private static final String LOCATION = "jdbc:postgresql://127.0.0.1:5432/app?user=app&password=secret";
    private static final EmbeddingModel MODEL = TestData.model(8, Similarity.COSINE);

    @TempDir
    Path dir;

    @BeforeAll
    static void theDriverIsNotOnTheClassPath() {
        assertThrows(ClassNotFoundException.class, () -> Class.forName("org.postgresql.Driver"));
        assertNotNull(System.getProperty("nyla.test.postgresql.version"), "set by the surefire execution");
    }

    private static void assertNamesTheDriver(String message) {
        assertTrue(message.contains("add the dependency " + ARTIFACT), message);
        assertTrue(message.contains("jdbc:postgresql://127.0.0.1:5432/app"), message);
        assertFalse(message.contains("secret"), message);
    }

    @Test
    void postgresqlLocationsNameTheDriverToAdd() {
        assertNamesTheDriver(assertThrows(StoreException.class, () -> VectorStores.open(LOCATION)).getMessage());
        assertNamesTheDriver(assertThrows(StoreException.class, () -> VectorStores.openReadOnly(LOCATION)).getMessage());
        assertNamesTheDriver(assertThrows(IllegalStateException.class, () -> JdbcSource.builder().url(LOCATION))
                .getMessage());
    }

    @Test
    void sqliteStoresWorkWithoutThePostgresqlDriver() throws Exception {
        Path file = dir.resolve("vectors.db");
        try (VectorStore store = VectorStores.open("jdbc:sqlite:" + file)) {
            Generation g;
            try (GenerationWriter w = store.newGeneration(GenerationSpec.of(1, "v1", MODEL))) {
                for (VectorRecord r : TestData.records(MODEL, "t", 10, 1, Map.of()).stream()
                        .sorted((a, b) -> RecordKeys.compare(a.tenant(), a.id(), b.tenant(), b.id())).toList()) {
                    w.add(r);
                }
                g = w.commit();
            }
            store.activate(g.id());
            assertEquals(3, store.search(SearchRequest.of("t", TestData.unitVector(new Random(1), 8), 3)).size());
        }
        try (VectorStore reader = VectorStores.openReadOnly("jdbc:sqlite:" + file)) {
            assertEquals(10, reader.activeGeneration().orElseThrow().recordCount());
        }
    }
}
