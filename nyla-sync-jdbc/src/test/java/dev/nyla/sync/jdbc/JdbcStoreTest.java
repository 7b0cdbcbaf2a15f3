package dev.nyla.sync.jdbc;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.ContentHash;
import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.IntegrityException;
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
import dev.nyla.sync.store.WriteResult;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** What the JDBC store must do beyond the common contract, on each of its three dialects. */
class JdbcStoreTest {
    private static final int DIM = 8;
    private static final EmbeddingModel MODEL = TestData.model(DIM, Similarity.COSINE);

    @TempDir
    Path dir;
    private final String prefix = TestDatabases.uniquePrefix();
    private final List<VectorStore> opened = new ArrayList<>();
    private Databases db;
    private DataSource ds;

    static Stream<Databases> databases() {
        return Databases.all();
    }

    private JdbcVectorStore open(Databases database) throws IOException {
        return open(database, database.options(prefix));
    }

    private JdbcVectorStore open(Databases database, JdbcOptions options) throws IOException {
        if (ds == null) {
            db = database;
            ds = database.dataSource(dir);
        }
        JdbcVectorStore store = JdbcVectorStore.open(ds, options);
        opened.add(store);
        return store;
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (VectorStore s : opened) {
            s.close();
        }
        if (db != null) {
            db.cleanUp(ds, prefix);
        }
    }

    private static Generation install(VectorStore store, long version, List<VectorRecord> records) throws IOException {
        try (GenerationWriter w = store.newGeneration(GenerationSpec.of(version, "v" + version, MODEL))) {
            for (VectorRecord r : records.stream().sorted((a, b) -> dev.nyla.sync.RecordKeys.compare(a.tenant(), a.id(),
                    b.tenant(), b.id())).toList()) {
                w.add(r);
            }
            return w.commit();
        }
    }

    @ParameterizedTest
    @MethodSource("databases")
    void hostileTenantsIdsAndFiltersAreDataNotSql(Databases database) throws IOException {
        JdbcVectorStore store = open(database);
        String tenant = "x'); DROP TABLE " + prefix + "_store; --";
        String id = "\"; DELETE FROM " + prefix + "_generations; --";
        Map<String, String> metadata = Map.of("k' OR '1'='1", "v\"}); DROP TABLE x; --", "lang", "en");
        Random random = new Random(3);
        VectorRecord hostile = VectorRecord.of(tenant, id, "text with ' and \" and \\", metadata, MODEL,
                TestData.unitVector(random, DIM));
        VectorRecord plain = VectorRecord.of(tenant, "plain", "plain", Map.of("lang", "en"), MODEL,
                TestData.unitVector(random, DIM));
        store.activate(install(store, 1, List.of(hostile, plain)).id());

        List<SearchHit> hits = store.search(SearchRequest.of(tenant, hostile.vector(), 5).withFilter(metadata));
        assertEquals(List.of(id), hits.stream().map(SearchHit::id).toList(), "the filter matched exactly the record");
        assertEquals(metadata, hits.get(0).metadata());
        assertEquals("text with ' and \" and \\", hits.get(0).text());
        assertEquals(List.of(), store.search(SearchRequest.of(tenant, hostile.vector(), 5)
                .withFilter(Map.of("k' OR '1'='1", "anything' OR '1'='1"))), "a quote in a filter value is no wildcard");
        assertEquals(List.of(), store.search(SearchRequest.of("' OR '1'='1", hostile.vector(), 5)));
        try (Stream<String> tenants = store.tenants()) {
            assertEquals(List.of(tenant), tenants.toList());
        }
        assertEquals(WriteResult.deleted(0, 1), store.delete("' OR '1'='1", List.of(id)));
        assertEquals(WriteResult.deleted(1, 0), store.delete(tenant, List.of(id)));
        // Everything is still there: the store row, the generations, the other record.
        assertEquals(1, store.generations().size());
        try (Stream<InventoryEntry> inventory = store.inventory(tenant)) {
            assertEquals(List.of("plain"), inventory.map(InventoryEntry::id).toList());
        }
    }

    @ParameterizedTest
    @MethodSource("databases")
    void hostileTableNamesAreRefusedBeforeAnySql(Databases database) {
        for (String bad : List.of("nyla\"; DROP TABLE x; --", "Nyla", "nyla-store", "", "1abc", "a".repeat(41),
                "nyla store", "nyla;")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> JdbcOptions.DEFAULTS.withTablePrefix(bad));
            assertTrue(e.getMessage().contains("tablePrefix") && e.getMessage().contains(JdbcOptions.NAME_PATTERN.pattern()),
                    e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> JdbcOptions.DEFAULTS.withSchema(bad.isEmpty() ? "A" : bad));
        }
        String location = switch (database) {
            case SQLITE -> "jdbc:sqlite:" + dir.resolve("x.db");
            case POSTGRES -> TestDatabases.POSTGRES_URL;
            case PGVECTOR -> TestDatabases.PGVECTOR_URL;
        };
        String sep = location.contains("?") ? "&" : "?";
        StoreException e = assertThrows(StoreException.class,
                () -> VectorStores.open(location + sep + "nyla.prefix=x%22%3B%20DROP%20TABLE%20y"));
        assertTrue(e.getMessage().contains("tablePrefix: expected"), e.getMessage());
        assertFalse(e.getMessage().contains("password=nyla") || e.getMessage().contains("password=postgres"),
                "the location in messages hides the password: " + e.getMessage());
    }

    /**
     * The connection writing a new generation dies half-way through its load (as when the application or
     * the database connection is killed): the previous generation keeps serving, nothing of the new one is
     * left in the database, and the next install works.
     */
    @ParameterizedTest
    @MethodSource("databases")
    void aLoadCutOffHalfWayLeavesThePreviousGenerationServing(Databases database) throws Exception {
        db = database;
        Databases.Recording recording = new Databases.Recording(database.dataSource(dir));
        ds = recording;
        JdbcVectorStore store = JdbcVectorStore.open(recording, database.options(prefix).withBatchSize(50));
        opened.add(store);
        List<VectorRecord> v1 = TestData.records(MODEL, "t", 30, 1, Map.of("gen", "1"));
        Generation first = install(store, 1, v1);
        store.activate(first.id());
        Set<Connection> before = new HashSet<>(recording.open(c -> true));

        GenerationWriter writer = store.newGeneration(GenerationSpec.of(2, "v2", MODEL));
        List<VectorRecord> v2 = TestData.records(MODEL, "t", 500, 2, Map.of("gen", "2"));
        for (VectorRecord r : v2.subList(0, 300)) {
            writer.add(r);
        }
        List<Connection> writers = recording.open(c -> !before.contains(c));
        assertEquals(1, writers.size(), "the writer holds one connection");
        Connection cut = writers.get(0);
        switch (database) {
            case POSTGRES -> {
                // The server ends the writer's session, as an administrator or a failover would.
                int pid = cut.unwrap(org.postgresql.PGConnection.class).getBackendPID();
                try (Connection admin = recording.delegate.getConnection();
                     var ps = admin.prepareStatement("SELECT pg_terminate_backend(?)")) {
                    ps.setInt(1, pid);
                    try (var rs = ps.executeQuery()) {
                        assertTrue(rs.next() && rs.getBoolean(1), "backend " + pid + " terminated");
                    }
                }
            }
            // PGlite serves every connection from one backend: cut the socket, as a dying client would.
            case PGVECTOR -> cut.abort(Runnable::run);
            // SQLite in the same process: the connection goes away with its open transaction.
            case SQLITE -> cut.close();
        }
        StoreException failed = assertThrows(StoreException.class, () -> {
            for (VectorRecord r : v2.subList(300, 500)) {
                writer.add(r);
            }
            writer.commit();
        });
        assertTrue(failed.getMessage().contains("nothing of it is kept"), failed.getMessage());
        writer.close();

        assertEquals(first.id(), store.activeGeneration().orElseThrow().id());
        assertEquals(List.of(first.id()), store.generations().stream().map(Generation::id).toList());
        List<SearchHit> hits = store.search(SearchRequest.of("t", v1.get(0).vector(), 100));
        assertEquals(30, hits.size());
        assertTrue(hits.stream().allMatch(h -> h.metadata().get("gen").equals("1")));
        if (database != Databases.SQLITE) {
            assertEquals(List.of(prefix + "_g" + first.id(), prefix + "_generations", prefix + "_store"),
                    TestDatabases.tablesOf(recording, prefix), "no table of the cut-off load is left");
        }
        Generation next = install(store, 3, v2);
        store.activate(next.id());
        assertEquals(500, store.stats().records());
    }

    /**
     * Several application instances (store objects, each on its own connections) activate generations at
     * the same time, each instance its own. Each activation locks the store row, so none is lost: afterwards
     * every generation is either the active one or in the rollback history, exactly once. (Without the lock,
     * two activations read the same history and the later write drops the earlier one.)
     */
    @ParameterizedTest
    @MethodSource("databases")
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void concurrentActivationsFromSeveralInstancesLoseNoHistory(Databases database) throws Exception {
        JdbcVectorStore setup = open(database);
        int instances = 3;
        int perInstance = database == Databases.PGVECTOR ? 6 : 12;
        List<List<Long>> ids = new ArrayList<>();
        for (int i = 0; i < instances; i++) {
            List<Long> own = new ArrayList<>();
            for (int n = 0; n < perInstance; n++) {
                long version = i * 100L + n + 1;
                own.add(install(setup, version, TestData.records(MODEL, "t", 2, version, Map.of())).id());
            }
            ids.add(own);
        }
        CountDownLatch start = new CountDownLatch(1);
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < instances; i++) {
            // PostgreSQL instances get a connection each, as from a pool; SQLite serializes writers on its file lock.
            // (PGlite runs one transaction at a time whatever the connections, and its pool is shared: left as is.)
            JdbcVectorStore instance = JdbcVectorStore.open(database == Databases.POSTGRES ? Databases.perThread(ds) : ds,
                    database.options(prefix));
            opened.add(instance);
            List<Long> own = ids.get(i);
            Thread t = new Thread(() -> {
                try {
                    start.await();
                    for (long id : own) {
                        instance.activate(id);
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
            t.start();
            threads.add(t);
        }
        start.countDown();
        for (Thread t : threads) {
            t.join();
        }
        if (!failures.isEmpty()) {
            throw new AssertionError("an activation failed: " + failures.peek(), failures.peek());
        }
        List<Long> walked = new ArrayList<>();
        walked.add(setup.activeGeneration().orElseThrow().id());
        while (true) {
            try {
                walked.add(setup.rollback().id());
            } catch (StoreException e) {
                break;
            }
        }
        Set<Long> all = new HashSet<>();
        ids.forEach(all::addAll);
        assertEquals(walked.size(), new HashSet<>(walked).size(), "no generation twice in " + walked);
        assertEquals(all, new HashSet<>(walked), "every generation activated is active or can be rolled back to");
    }

    /**
     * A stream pins its generation: the table of a generation deleted while its inventory is read is dropped
     * only when the stream closes.
     */
    @ParameterizedTest
    @MethodSource("databases")
    void aDeletedGenerationsTableIsDroppedWhenItsLastStreamCloses(Databases database) throws Exception {
        JdbcVectorStore store = open(database);
        Generation first = install(store, 1, TestData.records(MODEL, "t", 2_500, 1, Map.of()));
        store.activate(first.id());
        try (Stream<InventoryEntry> inventory = store.inventory("t")) {
            var it = inventory.iterator();
            it.next();
            store.activate(install(store, 2, TestData.records(MODEL, "t", 5, 2, Map.of())).id());
            store.deleteGeneration(first.id());
            assertTrue(tableExists(store, first.id()), "the table stays while the stream reads it");
            int rest = 0;
            while (it.hasNext()) {
                it.next();
                rest++;
            }
            assertEquals(2_499, rest, "the stream read the whole deleted generation, across pages");
        }
        assertFalse(tableExists(store, first.id()), "the table is dropped when the stream closes");
        assertThrows(StoreException.class, () -> store.deleteGeneration(first.id()));
    }

    private boolean tableExists(JdbcVectorStore store, long generation) throws SQLException {
        try (Connection c = ds.getConnection(); var s = c.createStatement()) {
            s.executeQuery("SELECT count(*) FROM " + store.generationTable(generation)).close();
            return true;
        } catch (SQLException e) {
            if (e.getMessage().contains("does not exist") || e.getMessage().contains("no such table")) {
                return false;
            }
            throw e;
        }
    }

    /**
     * An edit made with SQL behind the store's back: the row's content hash no longer matches its text. More
     * rows than one fetch, so the scan streams across several round trips.
     */
    @ParameterizedTest
    @MethodSource("databases")
    void verifyNamesTheRecordWhoseTextWasEditedWithSql(Databases database) throws Exception {
        JdbcVectorStore store = open(database);
        List<VectorRecord> records = TestData.records(MODEL, "t", 2_500, 1,
                Map.of("lang", "en", "k\u00e9y", "\u00e4 \"q\""));
        Generation g = install(store, 1, records);
        store.activate(g.id());
        assertEquals(2_500, store.verifyActiveGeneration().records());
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("UPDATE "
                + store.generationTable(g.id()) + " SET text = ? WHERE tenant = ? AND id = ?")) {
            ps.setString(1, "edited by hand");
            ps.setString(2, "t");
            ps.setString(3, "doc-01717");
            assertEquals(1, ps.executeUpdate());
        }
        IntegrityException e = assertThrows(IntegrityException.class, store::verifyActiveGeneration);
        assertEquals(store.location() + " generation " + g.id() + " record t/doc-01717", e.subject());
        assertEquals(records.get(1717).contentHash(), e.expected(), "the stored hash");
        assertEquals(ContentHash.of("edited by hand", records.get(1717).metadata(), MODEL.fingerprint()), e.actual(),
                "the hash of what the row holds now");
        assertTrue(e.getMessage().contains(records.get(1717).contentHash()) && e.getMessage().contains(e.actual()),
                e.getMessage());
    }

    /** pgvector's typed {@code vector(d)} column refuses both damages itself; byte columns do not. */
    static Stream<Databases> byteVectorDatabases() {
        return Stream.of(Databases.SQLITE, Databases.POSTGRES);
    }

    @ParameterizedTest
    @MethodSource("byteVectorDatabases")
    void verifyNamesAVectorOfTheWrongDimensionOrWithANonFiniteValue(Databases database) throws Exception {
        JdbcVectorStore store = open(database);
        List<VectorRecord> records = TestData.records(MODEL, "t", 10, 1, Map.of());
        Generation g = install(store, 1, records);
        store.activate(g.id());
        float[] nan = records.get(3).vector().clone();
        nan[5] = Float.NaN;
        setVector(store, g, "doc-00003", nan);
        IntegrityException e = assertThrows(IntegrityException.class, store::verifyActiveGeneration);
        assertEquals(store.location() + " generation " + g.id() + " record t/doc-00003", e.subject());
        assertTrue(e.getMessage().contains("vector component 5"), e.getMessage());
        assertEquals("NaN", e.actual());

        setVector(store, g, "doc-00003", new float[DIM - 1]);
        e = assertThrows(IntegrityException.class, store::verifyActiveGeneration);
        assertTrue(e.getMessage().contains("vector dimension"), e.getMessage());
        assertEquals(String.valueOf(DIM), e.expected());
        assertEquals(String.valueOf(DIM - 1), e.actual());

        setVector(store, g, "doc-00003", records.get(3).vector());
        assertEquals(10, store.verifyActiveGeneration().records());
    }

    private void setVector(JdbcVectorStore store, Generation g, String id, float[] vector) throws SQLException {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("UPDATE "
                + store.generationTable(g.id()) + " SET vector = ? WHERE tenant = 't' AND id = ?")) {
            ps.setBytes(1, Codec.floatsLittleEndian(vector));
            ps.setString(2, id);
            assertEquals(1, ps.executeUpdate());
        }
    }

    @ParameterizedTest
    @MethodSource("databases")
    void aStoreReopenedWithAnotherForcedDialectIsRefused(Databases database) throws IOException {
        open(database).close();
        JdbcDialect other = database.dialect == JdbcDialect.POSTGRES ? JdbcDialect.PGVECTOR : JdbcDialect.POSTGRES;
        StoreException e = assertThrows(StoreException.class,
                () -> JdbcVectorStore.open(ds, JdbcOptions.DEFAULTS.withTablePrefix(prefix).withDialect(other)));
        assertTrue(e.getMessage().contains(other.wireName()), e.getMessage());
        // Detection keeps the dialect the store was created with.
        try (JdbcVectorStore detected = JdbcVectorStore.open(ds, JdbcOptions.DEFAULTS.withTablePrefix(prefix))) {
            assertEquals(database.dialect, detected.dialect());
        }
    }

    @ParameterizedTest
    @MethodSource("databases")
    void withoutSchemaCreationAMissingTableIsNamed(Databases database) throws IOException {
        db = database;
        ds = database.dataSource(dir);
        StoreException e = assertThrows(StoreException.class, () -> JdbcVectorStore.open(ds,
                database.options(prefix).withCreateSchema(false)));
        assertTrue(e.getMessage().contains(prefix + "_store"), e.getMessage());
    }
}
