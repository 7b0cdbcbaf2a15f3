package dev.nyla.sync.jdbc;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.SourceRecord;
import dev.nyla.sync.embed.CountingEmbedder;
import dev.nyla.sync.demo.HashingEmbedder;
import dev.nyla.sync.reconcile.Drift;
import dev.nyla.sync.reconcile.ReconcileSummary;
import dev.nyla.sync.reconcile.Reconciler;
import dev.nyla.sync.reconcile.SyncReport;
import dev.nyla.sync.reconcile.SyncReport.Outcome;
import dev.nyla.sync.store.InventoryEntry;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The reconciler between a real table and a JDBC store in the same database: every drift kind found exactly,
 * repaired by embedding exactly the drift, and the store left mirroring the table.
 */
class ReconcileJdbcTest {
    @TempDir
    Path dir;
    private final String prefix = TestDatabases.uniquePrefix();
    private final String table = prefix + "_profiles";
    private Databases db;
    private DataSource ds;
    private JdbcVectorStore store;
    private JdbcSource source;
    private CountingEmbedder embedder;
    private String fp;

    static Stream<Databases> databases() {
        return Stream.of(Databases.SQLITE, Databases.POSTGRES);
    }

    /** A store and, in the same database, {@code profiles(tenant, id, body, lang)} with ids of {@code idType}. */
    private void open(Databases database, String idType) throws Exception {
        // The data source first: it skips (or fails) the test when the server is absent, and clean-up must
        // then find nothing to clean.
        ds = database.dataSource(dir);
        db = database;
        store = database == Databases.SQLITE
                ? JdbcVectorStore.openEmbedded(dir.resolve("vectors.db"), database.options(prefix))
                : JdbcVectorStore.open(ds, database.options(prefix));
        exec("CREATE TABLE " + table + " (tenant text NOT NULL, id " + idType + " NOT NULL, body text, lang text, "
                + "PRIMARY KEY (tenant, id))");
        source = ReconcileMain.profiles(ds, table);
        embedder = new CountingEmbedder(new HashingEmbedder(16));
        fp = embedder.model().fingerprint();
    }

    @AfterEach
    void cleanUp() throws SQLException {
        if (store != null) {
            store.close();
        }
        if (db != null) {
            exec("DROP TABLE IF EXISTS " + table);
            db.cleanUp(ds, prefix);
        }
    }

    private Reconciler reconciler() {
        return Reconciler.builder().store(store).source(source).embedder(embedder).tempDirectory(dir).build();
    }

    private void exec(String... statements) throws SQLException {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            for (String sql : statements) {
                s.execute(sql);
            }
        }
    }

    private void insert(String tenant, Object id, String body, String lang) throws SQLException {
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + " VALUES (?, ?, ?, ?)")) {
            ps.setString(1, tenant);
            ps.setObject(2, id);
            ps.setString(3, body);
            ps.setString(4, lang);
            ps.executeUpdate();
        }
    }

    /** Sets {@code model_fingerprint = 'old'} on the stored rows of {@code ids}, as a stale import would leave them. */
    private void markOldModel(String tenant, String... ids) throws Exception {
        String generation = store.generationTable(store.activeGeneration().orElseThrow().id());
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
                "UPDATE " + generation + " SET model_fingerprint = 'old' WHERE tenant = ? AND id = ?")) {
            for (String id : ids) {
                ps.setString(1, tenant);
                ps.setString(2, id);
                assertEquals(1, ps.executeUpdate(), id);
            }
        }
    }

    /**
     * The store's rows of {@code tenant} are the source's records: same ids, content hashes of the source's
     * text and metadata under the embedder's model, and one row per id.
     */
    private void assertMirrors(String tenant) throws Exception {
        Map<String, String> expected = new LinkedHashMap<>();
        try (Stream<SourceRecord> s = source.records(tenant)) {
            s.forEach(r -> expected.put(r.id(), r.contentHash(fp)));
        }
        Map<String, String> actual = new LinkedHashMap<>();
        try (Stream<InventoryEntry> s = store.inventory(tenant)) {
            s.forEach(e -> {
                assertEquals(fp, e.modelFingerprint(), e.id());
                assertNull(actual.put(e.id(), e.contentHash()), "duplicate " + e.id());
            });
        }
        assertEquals(expected, actual, "tenant " + tenant);
        String generation = store.generationTable(store.activeGeneration().orElseThrow().id());
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT count(*), count(DISTINCT id) FROM " + generation + " WHERE tenant = ?")) {
            ps.setString(1, tenant);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                assertEquals(expected.size(), rs.getLong(1), "rows of " + tenant);
                assertEquals(expected.size(), rs.getLong(2), "distinct ids of " + tenant);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("databases")
    void everyDriftKindIsFoundExactlyAndOnlyTheDriftIsEmbedded(Databases database) throws Exception {
        open(database, "integer");
        for (int i = 1; i <= 20; i++) {
            insert("acme", i, "profile text " + i, i % 2 == 0 ? "en" : "de");
        }
        for (int i = 1; i <= 3; i++) {
            insert("globex", i, "globex text " + i, null);
        }
        Reconciler reconciler = reconciler();
        assertEquals(Outcome.SYNCED, reconciler.sync("acme", false).outcome());
        assertEquals(Outcome.SYNCED, reconciler.sync("globex", false).outcome());
        assertEquals(23, embedder.texts());

        insert("acme", 21, "new profile", "en");                                   // missing
        insert("acme", 22, "another new profile", null);                           // missing
        exec("DELETE FROM " + table + " WHERE tenant = 'acme' AND id IN (3, 7)");  // stale
        exec("UPDATE " + table + " SET body = 'edited text' WHERE tenant = 'acme' AND id = 4",   // changed text
                "UPDATE " + table + " SET lang = 'fr' WHERE tenant = 'acme' AND id = 5",         // changed metadata
                "UPDATE " + table + " SET lang = NULL WHERE tenant = 'acme' AND id = 6");        // metadata entry gone
        markOldModel("acme", "8", "9");                                            // model mismatch

        Drift d = reconciler.check("acme");
        assertEquals(20, d.sourceCount());
        assertEquals(20, d.storeCount());
        assertEquals(List.of("21", "22"), d.missingIds());
        assertEquals(List.of("3", "7"), d.staleIds());
        assertEquals(List.of("4", "5", "6"), d.changedIds());
        assertEquals(List.of("8", "9"), d.modelMismatchIds());
        assertEquals(2, d.missing());
        assertEquals(2, d.stale());
        assertEquals(3, d.changed());
        assertEquals(2, d.modelMismatch());
        assertTrue(reconciler.check("globex").inSync());

        int before = embedder.texts();
        SyncReport report = reconciler.sync("acme", false);
        assertEquals(Outcome.SYNCED, report.outcome(), () -> report.failure().toString());
        assertEquals(d.toEmbed(), report.embedded());
        assertEquals(7, embedder.texts() - before, "embedded exactly the drift");
        assertEquals(2, report.inserted());
        assertEquals(5, report.updated());
        assertEquals(2, report.deleted());
        assertEquals(0, report.notFound());
        assertEquals(1, report.rounds());
        assertTrue(report.after().orElseThrow().inSync());

        assertTrue(reconciler.check("acme").inSync());
        assertEquals(Outcome.IN_SYNC, reconciler.sync("acme", false).outcome());
        assertEquals(7, embedder.texts() - before, "an in-sync tenant embeds nothing");
        assertMirrors("acme");
        assertMirrors("globex");
    }

    @ParameterizedTest
    @MethodSource("databases")
    void syncAllRepairsEveryTenantOfTheTableAndRemovesOnesOnlyInTheStore(Databases database) throws Exception {
        open(database, "text");
        Map<String, Integer> sizes = Map.of("acme", 12, "globex", 5, "initech", 3, "umbrella", 4);
        for (Map.Entry<String, Integer> t : sizes.entrySet()) {
            for (int i = 0; i < t.getValue(); i++) {
                insert(t.getKey(), t.getKey().charAt(0) + "-" + i, t.getKey() + " text " + i, i % 3 == 0 ? "en" : null);
            }
        }
        Reconciler reconciler = reconciler();
        ReconcileSummary first = reconciler.syncAll(false);
        assertEquals(4, first.synced());
        assertEquals(24, embedder.texts());

        exec("DELETE FROM " + table + " WHERE tenant = 'umbrella'");                       // only in the store now
        insert("hooli", "h-1", "hooli text", "en");                                       // only in the table
        insert("hooli", "h-2", "more hooli", null);
        exec("UPDATE " + table + " SET body = 'changed' WHERE tenant = 'acme' AND id IN ('a-1', 'a-10')");
        exec("DELETE FROM " + table + " WHERE tenant = 'acme' AND id = 'a-11'");
        markOldModel("initech", "i-0");

        int before = embedder.texts();
        ReconcileSummary summary = reconciler.syncAll(false);
        assertEquals(5, summary.checked(), "acme, globex, hooli, initech, umbrella");
        assertEquals(4, summary.outOfSync());
        assertEquals(4, summary.synced());
        assertEquals(1, summary.inSync());
        assertEquals(0, summary.failed(), () -> summary.failures().toString());
        assertTrue(summary.allInSync());
        assertEquals(2 + 2 + 1, embedder.texts() - before, "acme's 2 changed, hooli's 2 new, initech's mismatch");

        try (Stream<String> tenants = store.tenants()) {
            assertEquals(List.of("acme", "globex", "hooli", "initech"), tenants.toList());
        }
        for (String t : List.of("acme", "globex", "hooli", "initech", "umbrella")) {
            assertMirrors(t);
        }
        assertTrue(reconciler.checkAll().allInSync());
    }
}
