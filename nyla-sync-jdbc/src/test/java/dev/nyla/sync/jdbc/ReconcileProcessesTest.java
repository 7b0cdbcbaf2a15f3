package dev.nyla.sync.jdbc;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.SourceRecord;
import dev.nyla.sync.demo.HashingEmbedder;
import dev.nyla.sync.reconcile.Drift;
import dev.nyla.sync.reconcile.ReconcileSummary;
import dev.nyla.sync.reconcile.Reconciler;
import dev.nyla.sync.store.InventoryEntry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two application instances — two real JVMs — run {@code syncAll} on the same PostgreSQL store and table at
 * the same time. The tenant advisory lock lets exactly one of them repair each tenant; the other waits, then
 * finds the tenant in sync.
 */
class ReconcileProcessesTest {
    private static final int TENANTS = 20;
    private static final int RECORDS = 50;
    private static final int INSTANCES = 2;
    private static final Pattern LINE = Pattern.compile("tenant=(\\S+) outcome=(\\S+) embedded=(\\d+)");

    @TempDir
    Path dir;
    private final String prefix = TestDatabases.uniquePrefix();
    private final String table = prefix + "_profiles";
    private DataSource ds;

    @AfterEach
    void cleanUp() throws SQLException {
        if (ds != null) {
            try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
                s.execute("DROP TABLE IF EXISTS " + table);
            }
            TestDatabases.dropStore(ds, prefix);
        }
    }

    private static String tenant(int t) {
        return String.format("t%02d", t);
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void twoProcessesNeverRepairTheSameTenantTwice() throws Exception {
        ds = TestDatabases.postgres();
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE " + table + " (tenant text NOT NULL, id int NOT NULL, body text NOT NULL, lang text, "
                    + "PRIMARY KEY (tenant, id))");
            s.execute("INSERT INTO " + table + " SELECT 't' || lpad(t::text, 2, '0'), i, 'profile ' || t || '/' || i,"
                    + " CASE WHEN i % 2 = 0 THEN 'en' END FROM generate_series(0, " + (TENANTS - 1) + ") t,"
                    + " generate_series(1, " + RECORDS + ") i");
        }
        long expectedDrift = 0;
        try (JdbcVectorStore store = JdbcVectorStore.open(ds, Databases.POSTGRES.options(prefix))) {
            JdbcSource source = ReconcileMain.profiles(ds, table);
            Reconciler initial = Reconciler.builder().store(store).source(source).embedder(new HashingEmbedder(16))
                    .tempDirectory(dir).build();
            assertEquals(TENANTS, initial.syncAll(false).synced());

            // The store becomes a drifted copy: per tenant some records missing, some stale, some changed.
            try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
                for (int t = 0; t < TENANTS; t++) {
                    String name = "'" + tenant(t) + "'";
                    int missing = 1 + t % 3;
                    for (int k = 0; k < missing; k++) {
                        s.addBatch("INSERT INTO " + table + " VALUES (" + name + ", " + (1000 + k) + ", 'new " + k + "', NULL)");
                    }
                    s.addBatch("DELETE FROM " + table + " WHERE tenant = " + name + " AND id IN (3, 4)");            // stale
                    s.addBatch("UPDATE " + table + " SET body = body || ' edited' WHERE tenant = " + name
                            + " AND id BETWEEN 10 AND " + (10 + t % 4));                                             // changed
                    expectedDrift += missing + 1 + t % 4;
                }
                s.executeBatch();
            }
            Reconciler checker = Reconciler.builder().store(store).source(source).build();
            long found = 0;
            for (int t = 0; t < TENANTS; t++) {
                Drift d = checker.check(tenant(t));
                assertEquals(2, d.stale(), tenant(t));
                found += d.toEmbed();
            }
            assertEquals(expectedDrift, found, "the drift as the reconciler sees it");
        }

        List<Process> children = new ArrayList<>();
        List<Path> logs = new ArrayList<>();
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        try {
            for (int n = 0; n < INSTANCES; n++) {
                Path log = dir.resolve("child-" + n + ".log");
                logs.add(log);
                children.add(new ProcessBuilder(List.of(java.toString(), "-cp", System.getProperty("java.class.path"),
                        ReconcileMain.class.getName(), prefix, table, dir.toString(), String.valueOf(n),
                        String.valueOf(INSTANCES)))
                        .redirectErrorStream(true).redirectOutput(log.toFile()).start());
            }
            for (Process p : children) {
                if (!p.waitFor(4, TimeUnit.MINUTES)) {
                    fail("a child JVM did not finish in 4 minutes: " + read(logs));
                }
            }
        } finally {
            children.forEach(Process::destroyForcibly);
        }
        for (int n = 0; n < INSTANCES; n++) {
            assertEquals(0, children.get(n).exitValue(), "child " + n + ":\n" + Files.readString(logs.get(n)));
        }

        long embedded = 0;
        Map<String, List<String>> outcomes = new HashMap<>();
        for (Path log : logs) {
            Matcher m = LINE.matcher(Files.readString(log));
            int lines = 0;
            while (m.find()) {
                lines++;
                outcomes.computeIfAbsent(m.group(1), k -> new ArrayList<>()).add(m.group(2));
                embedded += Long.parseLong(m.group(3));
            }
            assertEquals(TENANTS, lines, "one line per tenant in " + log + ":\n" + Files.readString(log));
        }
        // Each tenant was repaired by exactly one instance; the other found it in sync after waiting for the
        // lock. Without the advisory lock both instances check a tenant before either repairs it, both embed
        // its drift, and the sum below exceeds the drift.
        for (int t = 0; t < TENANTS; t++) {
            List<String> o = outcomes.get(tenant(t));
            assertNotNull(o, tenant(t));
            assertEquals(List.of("IN_SYNC", "SYNCED"), o.stream().sorted().toList(), tenant(t) + ": " + read(logs));
        }
        assertEquals(expectedDrift, embedded, "texts embedded by both instances together: " + read(logs));

        try (JdbcVectorStore store = JdbcVectorStore.open(ds, Databases.POSTGRES.options(prefix))) {
            JdbcSource source = ReconcileMain.profiles(ds, table);
            String fp = new HashingEmbedder(16).model().fingerprint();
            for (int t = 0; t < TENANTS; t++) {
                Map<String, String> expected = new LinkedHashMap<>();
                try (Stream<SourceRecord> s = source.records(tenant(t))) {
                    s.forEach(r -> expected.put(r.id(), r.contentHash(fp)));
                }
                Map<String, String> actual = new LinkedHashMap<>();
                try (Stream<InventoryEntry> s = store.inventory(tenant(t))) {
                    s.forEach(e -> assertNull(actual.put(e.id(), e.contentHash()), "duplicate " + e.id()));
                }
                assertEquals(expected, actual, tenant(t));
            }
            String generation = store.generationTable(store.activeGeneration().orElseThrow().id());
            try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
                    "SELECT (SELECT count(*) FROM " + generation + "), (SELECT count(*) FROM (SELECT DISTINCT tenant, id FROM "
                            + generation + ") k), (SELECT count(*) FROM " + table + ")");
                 ResultSet rs = ps.executeQuery()) {
                rs.next();
                assertEquals(rs.getLong(3), rs.getLong(1), "no row lost or added");
                assertEquals(rs.getLong(1), rs.getLong(2), "one row per (tenant, id)");
            }
            ReconcileSummary after = Reconciler.builder().store(store).source(source).build().checkAll();
            assertTrue(after.allInSync(), after.toString());
        }
    }

    private static String read(List<Path> logs) {
        StringBuilder out = new StringBuilder();
        for (Path log : logs) {
            try {
                out.append("--- ").append(log.getFileName()).append('\n').append(Files.readString(log));
            } catch (java.io.IOException e) {
                out.append(e);
            }
        }
        return out.toString();
    }
}
