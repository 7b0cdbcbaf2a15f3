package dev.nyla.sync.jdbc;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.store.LockTimeoutException;
import java.io.Closeable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The repair lock of a tenant holds across store instances and processes, and only for its own store. */
class TenantLockTest {
    private static final Duration SHORT = Duration.ofMillis(100);
    private static final Duration LONG = Duration.ofSeconds(30);
    @TempDir
    Path dir;
    private final String prefix = TestDatabases.uniquePrefix();
    private final List<JdbcVectorStore> opened = new ArrayList<>();
    private DataSource cleanup;

    @AfterEach
    void cleanUp() throws SQLException {
        opened.forEach(JdbcVectorStore::close);
        if (cleanup != null) {
            TestDatabases.dropStore(cleanup, prefix);
        }
    }

    private JdbcVectorStore postgres(DataSource ds, String tablePrefix) throws Exception {
        cleanup = ds;
        JdbcVectorStore store = JdbcVectorStore.open(ds, Databases.POSTGRES.options(tablePrefix));
        opened.add(store);
        return store;
    }

    @Test
    void aSecondStoreWaitsForTheSameTenantOnPostgresOnly() throws Exception {
        // Two data sources: two application instances on the same tables.
        JdbcVectorStore first = postgres(TestDatabases.postgres(), prefix);
        JdbcVectorStore second = postgres(TestDatabases.postgres(), prefix);

        Closeable held = first.lockTenant("acme", LONG);
        LockTimeoutException e = assertThrows(LockTimeoutException.class, () -> second.lockTenant("acme", SHORT));
        assertTrue(e.getMessage().startsWith("repair lock of tenant 'acme' in " + second.location()), e.getMessage());
        assertTrue(e.getMessage().contains("expected PT0.1S"), e.getMessage());
        assertThrows(LockTimeoutException.class, () -> second.lockTenant("acme", Duration.ZERO), "tried once");
        second.lockTenant("globex", SHORT).close();
        second.lockTenant("", SHORT).close(); // the reconciler's store-wide lock is a lock like any other

        held.close();
        held.close(); // twice is harmless
        Closeable again = second.lockTenant("acme", SHORT);
        assertThrows(LockTimeoutException.class, () -> first.lockTenant("acme", Duration.ZERO));
        again.close();
    }

    @Test
    void anotherTablePrefixNeverWaits() throws Exception {
        DataSource ds = TestDatabases.postgres();
        JdbcVectorStore docs = postgres(ds, prefix);
        JdbcVectorStore other = postgres(TestDatabases.postgres(), prefix + "_b");
        try (Closeable held = docs.lockTenant("acme", LONG); Closeable mine = other.lockTenant("acme", Duration.ZERO)) {
            assertNotEquals(TenantLocks.key("public", prefix, "acme"), TenantLocks.key("public", prefix + "_b", "acme"));
        }
        assertEquals(TenantLocks.key("public", prefix, "acme"), TenantLocks.key("public", prefix, "acme"));
        assertNotEquals(TenantLocks.key("public", prefix, "acme"), TenantLocks.key("other", prefix, "acme"));
    }

    @Test
    void aPooledLockConnectionIsUnlockedAndResetBeforeItGoesBack() throws Exception {
        DataSource pool = Databases.pooled(TestDatabases.postgres(), 1); // one connection: the lock's is reused
        JdbcVectorStore store = postgres(pool, prefix);
        JdbcVectorStore other = postgres(TestDatabases.postgres(), prefix);
        store.lockTenant("acme", LONG).close();
        try (Connection c = pool.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SHOW lock_timeout")) {
            rs.next();
            assertEquals("0", rs.getString(1), "lock_timeout reset on the pooled connection");
        }
        assertEquals(List.of(), TestDatabases.advisoryLocks(pool, TenantLocks.key("public", prefix, "acme")));
        other.lockTenant("acme", Duration.ZERO).close(); // free although the pooled session lives on
    }

    // ---- SQLite ----------------------------------------------------------------------------------------------

    @Test
    void anEmbeddedStoreLocksInAFileBesideTheDatabase() throws Exception {
        Path db = dir.resolve("vectors.db");
        try (JdbcVectorStore first = JdbcVectorStore.openEmbedded(db); JdbcVectorStore second = JdbcVectorStore.openEmbedded(db)) {
            Closeable held = first.lockTenant("acme", LONG);
            assertTrue(Files.exists(dir.resolve("vectors.db.nyla-locks")));
            LockTimeoutException e = assertThrows(LockTimeoutException.class, () -> second.lockTenant("acme", SHORT));
            assertTrue(e.getMessage().startsWith("repair lock of tenant 'acme' in jdbc:sqlite:"), e.getMessage());
            second.lockTenant("globex", SHORT).close();
            held.close();
            held.close();
            second.lockTenant("acme", Duration.ZERO).close();
        }
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void anEmbeddedStoreLockHoldsAgainstAnotherProcess() throws Exception {
        Path db = dir.resolve("vectors.db");
        try (JdbcVectorStore store = JdbcVectorStore.openEmbedded(db)) {
            Path java = Path.of(System.getProperty("java.home"), "bin", "java");
            Path log = dir.resolve("child.log");
            Process child = new ProcessBuilder(List.of(java.toString(), "-cp", System.getProperty("java.class.path"),
                    SidecarLockMain.class.getName(), db.toString(), "acme", dir.toString()))
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try {
                SidecarLockMain.await(dir.resolve("locked"), child);
                assertThrows(LockTimeoutException.class, () -> store.lockTenant("acme", SHORT));
                store.lockTenant("globex", SHORT).close();
                Files.createFile(dir.resolve("release"));
                assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the child ends after release");
                assertEquals(0, child.exitValue(), Files.readString(log));
                store.lockTenant("acme", Duration.ZERO).close();
            } finally {
                child.destroyForcibly();
            }
        }
    }

    @Test
    void aSqliteStoreOfUnknownFileLocksNothingAcrossProcesses() throws Exception {
        DataSource ds = SqliteDataSources.of("jdbc:sqlite:" + dir.resolve("vectors.db"), false);
        try (JdbcVectorStore a = JdbcVectorStore.open(ds); JdbcVectorStore b = JdbcVectorStore.open(ds);
             Closeable held = a.lockTenant("acme", LONG); Closeable also = b.lockTenant("acme", Duration.ZERO)) {
            assertFalse(Files.exists(dir.resolve("vectors.db.nyla-locks")));
        }
    }
}
