package dev.nyla.sync.jdbc;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.SourceRecord;
import dev.nyla.sync.demo.HashingEmbedder;
import dev.nyla.sync.reconcile.Drift;
import dev.nyla.sync.reconcile.Reconciler;
import dev.nyla.sync.store.InventoryEntry;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Two application instances — two real JVMs — repair the same tenant of one PostgreSQL store at once. The
 * first holds the tenant's advisory lock halfway through its repair (it has written one batch and waits for
 * the test); the second is started then, and the test sees it queue for the lock in {@code pg_locks}. What
 * happens next is what {@code docs/reconciliation.md} promises: the second waits and then finds the tenant
 * in sync; with a lock timeout shorter than the first's repair (or zero: try once) it fails naming the
 * tenant and writes nothing; when the first dies, the server releases its lock and the second finishes the repair. Each time
 * the store ends as the source: no duplicate, no lost row.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class SameTenantRepairProcessesTest {
    private static final String TENANT = "acme";
    private static final String OTHER = "globex";
    private static final int RECORDS = 60;
    /** Records the drift below gives to embed: 10 missing and 7 changed; 3 more are stale. */
    private static final int TO_EMBED = 17;
    private static final int STALE = 3;
    private static final long WAIT_FOREVER = Duration.ofMinutes(2).toMillis();

    @TempDir
    Path dir;
    private final String prefix = TestDatabases.uniquePrefix();
    private final String table = prefix + "_profiles";
    private final List<Process> children = new ArrayList<>();
    private DataSource ds;
    private List<String> untouched;

    /** A synced store whose source then drifted in tenant acme; tenant globex stays in sync. */
    @BeforeEach
    void driftedStore() throws Exception {
        ds = TestDatabases.postgres();
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE " + table + " (tenant text NOT NULL, id int NOT NULL, body text NOT NULL, lang text, "
                    + "PRIMARY KEY (tenant, id))");
            s.execute("INSERT INTO " + table + " SELECT t, i, 'profile ' || t || '/' || i, CASE WHEN i % 2 = 0 THEN 'en' END"
                    + " FROM unnest(ARRAY['" + TENANT + "', '" + OTHER + "']) t, generate_series(1, " + RECORDS + ") i");
        }
        try (JdbcVectorStore store = JdbcVectorStore.open(ds, Databases.POSTGRES.options(prefix))) {
            Reconciler.builder().store(store).source(ReconcileMain.profiles(ds, table)).embedder(new HashingEmbedder(16))
                    .tempDirectory(dir).build().syncAll(false);
            untouched = inventory(store, OTHER);
        }
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO " + table + " SELECT '" + TENANT + "', i, 'new ' || i, NULL FROM generate_series(1001, 1010) i");
            s.execute("DELETE FROM " + table + " WHERE tenant = '" + TENANT + "' AND id IN (3, 4, 5)");
            s.execute("UPDATE " + table + " SET body = body || ' edited' WHERE tenant = '" + TENANT + "' AND id BETWEEN 20 AND 26");
        }
        try (JdbcVectorStore store = JdbcVectorStore.open(ds, Databases.POSTGRES.options(prefix))) {
            Drift d = Reconciler.builder().store(store).source(ReconcileMain.profiles(ds, table)).build().check(TENANT);
            assertEquals(TO_EMBED, d.toEmbed(), d.toString());
            assertEquals(STALE, d.stale(), d.toString());
        }
    }

    @AfterEach
    void cleanUp() throws SQLException {
        children.forEach(Process::destroyForcibly);
        if (ds != null) {
            try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
                s.execute("DROP TABLE IF EXISTS " + table);
            }
            TestDatabases.dropStore(ds, prefix);
        }
    }

    @Test
    void theSecondProcessWaitsForTheLockThenFindsTheTenantInSync() throws Exception {
        Holder first = startHolding();
        Process second = start(WAIT_FOREVER, 0, "second");
        awaitQueuedForTheLock(second);

        first.release();
        assertEquals("outcome=SYNCED embedded=" + TO_EMBED + " failure=none", first.result());
        assertEquals("outcome=IN_SYNC embedded=0 failure=none", result(second, "second"));
        assertStoreMirrorsTheSource();
    }

    /** A lock timeout of zero tries the lock once: how a periodic job skips a tenant another instance repairs. */
    @ParameterizedTest(name = "lock timeout {0} ms")
    @ValueSource(longs = {0, 200})
    void theSecondProcessWhoseLockTimeoutEndsFirstFailsNamingTheTenantAndWritesNothing(long lockTimeoutMillis)
            throws Exception {
        Holder first = startHolding();
        List<String> halfway = inventory(TENANT);
        Process second = start(lockTimeoutMillis, 0, "second");

        String out = result(second, "second");
        assertTrue(out.startsWith("outcome=FAILED embedded=0 failure=LockTimeoutException: repair lock of tenant '"
                + TENANT + "' in "), out);
        assertTrue(first.process.isAlive(), "the first still holds the lock");
        assertEquals(halfway, inventory(TENANT), "the second wrote nothing");

        first.release();
        assertEquals("outcome=SYNCED embedded=" + TO_EMBED + " failure=none", first.result());
        assertStoreMirrorsTheSource();
    }

    @Test
    void whenTheHolderIsKilledTheServerReleasesItsLockAndTheSecondFinishesTheRepair() throws Exception {
        Holder first = startHolding();
        Process second = start(WAIT_FOREVER, 0, "second");
        awaitQueuedForTheLock(second);

        first.process.destroyForcibly(); // SIGKILL: no unlock, no rollback from the JVM
        assertTrue(first.process.waitFor(1, TimeUnit.MINUTES));
        // The batch the first wrote before it died stays written; the second embeds only what is left.
        assertEquals("outcome=SYNCED embedded=" + (TO_EMBED - RepairTenantMain.BATCH) + " failure=none",
                result(second, "second"));
        assertStoreMirrorsTheSource();
    }

    // ---- the children --------------------------------------------------------------------------------------

    /** The first instance, holding the tenant's lock with one batch written. */
    private final class Holder {
        final Process process;
        final BufferedReader out;

        Holder(Process process) {
            this.process = process;
            this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        }

        void release() throws IOException {
            Writer in = new java.io.OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
            in.write("go\n");
            in.flush();
        }

        String result() throws Exception {
            String line = out.readLine();
            assertTrue(process.waitFor(1, TimeUnit.MINUTES), "the first child ends");
            assertEquals(0, process.exitValue(), log("first"));
            return line;
        }
    }

    private Holder startHolding() throws Exception {
        Holder h = new Holder(start(WAIT_FOREVER, 1, "first"));
        String line = h.out.readLine();
        assertEquals("holding " + RepairTenantMain.BATCH, line, log("first"));
        return h;
    }

    private Process start(long lockTimeoutMillis, int holdAfter, String name) throws IOException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder pb = new ProcessBuilder(List.of(java.toString(), "-cp", System.getProperty("java.class.path"),
                RepairTenantMain.class.getName(), prefix, table, TENANT, String.valueOf(lockTimeoutMillis),
                dir.toString(), String.valueOf(holdAfter)))
                .redirectError(dir.resolve(name + ".log").toFile());
        if (holdAfter == 0) {
            pb.redirectOutput(dir.resolve(name + ".out").toFile());
        }
        Process p = pb.start();
        children.add(p);
        return p;
    }

    private String result(Process p, String name) throws Exception {
        assertTrue(p.waitFor(1, TimeUnit.MINUTES), name + " ends: " + log(name));
        assertEquals(0, p.exitValue(), log(name));
        return Files.readString(dir.resolve(name + ".out")).strip();
    }

    private String log(String name) {
        try {
            return name + "'s log:\n" + Files.readString(dir.resolve(name + ".log"));
        } catch (IOException e) {
            return name + "'s log: " + e;
        }
    }

    /** Waits until {@code p}'s session queues for the tenant's advisory lock: a row of pg_locks not granted. */
    private void awaitQueuedForTheLock(Process p) throws Exception {
        long key = TenantLocks.key("public", prefix, TENANT);
        while (!TestDatabases.advisoryLocks(ds, key).contains(false)) {
            assertTrue(p.isAlive(), "the second child ended before it queued for the lock: " + log("second"));
            Thread.sleep(5); // polling a state another process creates; the order comes from pg_locks, not the pause
        }
        List<Boolean> sessions = TestDatabases.advisoryLocks(ds, key);
        assertEquals(2, sessions.size(), "one session holds the lock and one waits: " + sessions);
        assertTrue(sessions.contains(true) && sessions.contains(false), "one holds and one waits: " + sessions);
    }

    // ---- the store against the source ------------------------------------------------------------------------

    private List<String> inventory(String tenant) throws IOException {
        try (JdbcVectorStore store = JdbcVectorStore.open(ds, Databases.POSTGRES.options(prefix))) {
            return inventory(store, tenant);
        }
    }

    private static List<String> inventory(JdbcVectorStore store, String tenant) throws IOException {
        try (Stream<InventoryEntry> s = store.inventory(tenant)) {
            return s.map(e -> e.id() + "=" + e.contentHash()).toList();
        }
    }

    /** Every source row once in the store with its content hash, nothing else; the other tenant untouched. */
    private void assertStoreMirrorsTheSource() throws Exception {
        String fp = new HashingEmbedder(16).model().fingerprint();
        try (JdbcVectorStore store = JdbcVectorStore.open(ds, Databases.POSTGRES.options(prefix))) {
            Map<String, String> expected = new TreeMap<>();
            try (JdbcSource source = ReconcileMain.profiles(ds, table); Stream<SourceRecord> s = source.records(TENANT)) {
                s.forEach(r -> expected.put(r.id(), r.contentHash(fp)));
            }
            assertEquals(RECORDS + 10 - STALE, expected.size());
            Map<String, String> actual = new TreeMap<>();
            try (Stream<InventoryEntry> s = store.inventory(TENANT)) {
                s.forEach(e -> assertNull(actual.put(e.id(), e.contentHash()), "duplicate " + e.id()));
            }
            assertEquals(expected, actual, "tenant " + TENANT + " against the source");
            assertEquals(untouched, inventory(store, OTHER), "tenant " + OTHER);

            String generation = store.generationTable(store.activeGeneration().orElseThrow().id());
            try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
                    "SELECT count(*), count(DISTINCT (tenant, id)) FROM " + generation);
                 ResultSet rs = ps.executeQuery()) {
                rs.next();
                assertEquals(2L * RECORDS + 10 - STALE, rs.getLong(1), "rows: no row lost or added");
                assertEquals(rs.getLong(1), rs.getLong(2), "one row per (tenant, id)");
            }
        }
        assertEquals(List.of(), TestDatabases.advisoryLocks(ds, TenantLocks.key("public", prefix, TENANT)),
                "no session holds or awaits the lock any more");
    }
}
