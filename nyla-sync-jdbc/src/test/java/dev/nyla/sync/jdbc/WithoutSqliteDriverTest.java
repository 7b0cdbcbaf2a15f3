package dev.nyla.sync.jdbc;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.store.StoreException;
import dev.nyla.sync.store.VectorStore;
import dev.nyla.sync.store.VectorStores;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An application that brought only the PostgreSQL driver (the drivers are optional dependencies): SQLite
 * locations are refused with the artifact to add, and PostgreSQL works. Runs in a surefire execution of its
 * own without {@code sqlite-jdbc} on the class path; the expected artifact comes from the root pom.
 */
@Tag("without-sqlite-driver")
class WithoutSqliteDriverTest {
    private static final String ARTIFACT = "org.xerial:sqlite-jdbc:" + System.getProperty("nyla.test.sqlite.version");

    @TempDir
    Path dir;

    @BeforeAll
    static void theDriverIsNotOnTheClassPath() {
        assertThrows(ClassNotFoundException.class, () -> Class.forName("org.sqlite.JDBC"));
        assertNotNull(System.getProperty("nyla.test.sqlite.version"), "set by the surefire execution");
    }

    private static void assertNamesTheDriver(String message, Path file) {
        assertTrue(message.contains("add the dependency " + ARTIFACT), message);
        assertTrue(message.contains(file.toString()), message);
    }

    @Test
    void sqliteLocationsAndEmbeddedStoresNameTheDriverToAddAndCreateNoFile() {
        Path file = dir.resolve("vectors.db");
        assertNamesTheDriver(assertThrows(StoreException.class, () -> VectorStores.open("jdbc:sqlite:" + file))
                .getMessage(), file);
        assertNamesTheDriver(assertThrows(StoreException.class, () -> JdbcVectorStore.openEmbedded(file))
                .getMessage(), file);
        assertNamesTheDriver(assertThrows(IllegalStateException.class,
                () -> JdbcSource.builder().url("jdbc:sqlite:" + file)).getMessage(), file);
        assertFalse(Files.exists(file));
    }

    @Test
    void postgresqlLocationsWorkWithoutTheSqliteDriver() throws Exception {
        DataSource ds = TestDatabases.postgres();
        String prefix = TestDatabases.uniquePrefix();
        try (VectorStore store = VectorStores.open(TestDatabases.POSTGRES_URL + "&nyla.prefix=" + prefix)) {
            assertTrue(store.activeGeneration().isEmpty());
        } finally {
            TestDatabases.dropStore(ds, prefix);
        }
    }
}
