package dev.nyla.sync.jdbc;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.RecordKeys;
import dev.nyla.sync.SourceRecord;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.reconcile.SourceException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** A relational table as the reconciler's source of truth: binding, order, columns, lookups, connections. */
class JdbcSourceTest {
    @TempDir
    Path dir;
    private final String prefix = TestDatabases.uniquePrefix();
    private final String table = prefix + "_profiles";
    private Databases db;
    private DataSource ds;
    private final Counting connections = new Counting();

    static Stream<Databases> databases() {
        return Stream.of(Databases.SQLITE, Databases.POSTGRES);
    }

    private void connect(Databases database) {
        // The data source first: it skips (or fails) the test when the server is absent, and clean-up must
        // then find nothing to clean.
        ds = connections.wrap(database.dataSource(dir));
        db = database;
    }

    @AfterEach
    void cleanUp() throws SQLException {
        if (db != null) {
            exec("DROP TABLE IF EXISTS " + table);
            db.cleanUp(ds, prefix);
        }
    }

    private void exec(String... statements) throws SQLException {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            for (String sql : statements) {
                s.execute(sql);
            }
        }
    }

    /** Creates the profiles table (integer ids) with rows of (tenant, id, body, lang). */
    private void profiles(Object[]... rows) throws SQLException {
        exec("CREATE TABLE " + table + " (tenant text, id integer, body text, lang text)");
        insert(rows);
    }

    private void insert(Object[]... rows) throws SQLException {
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + " VALUES (?, ?, ?, ?)")) {
            for (Object[] r : rows) {
                for (int i = 0; i < r.length; i++) {
                    ps.setObject(i + 1, r[i]);
                }
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private boolean hasCollation(String name) throws SQLException {
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_collation WHERE collname = ?")) {
            ps.setString(1, name);
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    private JdbcSource perTenant(String recordsQuery) throws IOException {
        return JdbcSource.builder().dataSource(ds).recordsQuery(recordsQuery)
                .tenantsQuery("SELECT tenant FROM " + table).build();
    }

    private static List<SourceRecord> read(JdbcSource source, String tenant) throws IOException {
        try (Stream<SourceRecord> s = source.records(tenant)) {
            return s.toList();
        }
    }

    private static List<String> ids(List<SourceRecord> records) {
        return records.stream().map(SourceRecord::id).toList();
    }

    private static List<String> tenants(JdbcSource source) throws IOException {
        try (Stream<String> s = source.tenants()) {
            return s.toList();
        }
    }

    // ---- binding -----------------------------------------------------------------------------------------

    @Test
    void tenantIsBoundOnlyWhereItIsAParameter() throws Exception {
        connect(Databases.POSTGRES);
        profiles(new Object[] {"acme", 1, "one", "en"}, new Object[] {"acme", 2, "two", "de"},
                new Object[] {"globex", 3, "three", "en"}, new Object[] {":tenant", 4, "four", "fr"});
        JdbcSource source = perTenant("""
                SELECT p.id::text AS id, p.body::text AS text, ':tenant' AS literal, 'it''s :tenant' AS quoted
                  -- a comment naming :tenant is left alone
                FROM %s p /* and :tenant here */
                WHERE p.tenant = :tenant::text AND (p.lang = :tenant OR p.tenant = :tenant);
                """.formatted(table));

        List<SourceRecord> acme = read(source, "acme");
        assertEquals(List.of("1", "2"), ids(acme));
        assertEquals(new SourceRecord("acme", "1", "one", Map.of("literal", ":tenant", "quoted", "it's :tenant")),
                acme.get(0));
        assertEquals(List.of("3"), ids(read(source, "globex")));
        assertEquals(List.of("4"), ids(read(source, ":tenant")));
        assertEquals(List.of(), read(source, "nobody"));
        assertEquals(List.of(":tenant", "acme", "globex"), tenants(source));
    }

    @Test
    void describeNamesTheDatabaseWithoutItsPassword() throws Exception {
        connect(Databases.POSTGRES);
        profiles();
        JdbcSource source = perTenant("SELECT id, body AS text FROM " + table + " WHERE tenant = :tenant");
        assertTrue(source.describe().startsWith("jdbc:postgresql://"), source.describe());
        assertTrue(source.describe().endsWith(" (records query)"), source.describe());
        assertFalse(source.describe().contains("password=nyla"), source.describe());
        assertEquals("jdbc:postgresql://app:***@db/app", JdbcStoreProvider.redact("jdbc:postgresql://app:s3cret@db/app"));
    }

    @ParameterizedTest
    @MethodSource("databases")
    void aTenantParameterWithoutATenantsQueryIsRefusedAtBuild(Databases database) throws Exception {
        connect(database);
        profiles();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> JdbcSource.builder().dataSource(ds)
                .recordsQuery("SELECT id, body AS text FROM " + table + " WHERE tenant = :tenant").build());
        assertTrue(e.getMessage().contains("tenants query"), e.getMessage());
        assertEquals(0, connections.open.get(), "no connection was taken");
    }

    @ParameterizedTest
    @MethodSource("databases")
    void aQueryWithoutTenantIsTheDefaultTenant(Databases database) throws Exception {
        connect(database);
        profiles();
        JdbcSource source = JdbcSource.builder().dataSource(ds)
                .recordsQuery("SELECT id, body AS text FROM " + table).build();
        assertEquals(List.of(), tenants(source), "no rows: no tenant");
        insert(new Object[] {"x", 7, "seven", null});
        assertEquals(List.of(VectorRecord.DEFAULT_TENANT), tenants(source));
        assertEquals(List.of(new SourceRecord(VectorRecord.DEFAULT_TENANT, "7", "seven", Map.of())),
                read(source, VectorRecord.DEFAULT_TENANT));
        assertEquals(List.of(), read(source, "x"), "a tenant the source does not have");
        assertEquals(Set.of("7"), source.existing(VectorRecord.DEFAULT_TENANT, List.of("7", "8")));
        assertEquals(Set.of(), source.existing("x", List.of("7")));
    }

    // ---- order -------------------------------------------------------------------------------------------

    @ParameterizedTest
    @MethodSource("databases")
    void integerIdsComeInCodePointOrderOfTheirText(Databases database) throws Exception {
        connect(database);
        profiles(new Object[] {"acme", 2, "two", "en"}, new Object[] {"acme", 10, "ten", "en"},
                new Object[] {"acme", 1, "one", "en"}, new Object[] {"acme", -3, "minus three", "en"});
        JdbcSource source = perTenant("SELECT id, body AS text FROM " + table + " WHERE tenant = :tenant ORDER BY id");
        assertEquals(List.of("-3", "1", "10", "2"), ids(read(source, "acme")));
    }

    @ParameterizedTest
    @MethodSource("databases")
    void textIdsAndTenantsComeInCodePointOrderNotTheDatabaseCollation(Databases database) throws Exception {
        connect(database);
        // A linguistic collation on PostgreSQL (the test database's default, C.UTF-8, happens to be code-point order).
        String collate = database == Databases.POSTGRES && hasCollation("und-x-icu") ? " COLLATE \"und-x-icu\"" : "";
        exec("CREATE TABLE " + table + " (tenant text" + collate + ", id text" + collate + ", body text, lang text)");
        List<String> names = List.of("b", "B", "a", "é", "😀", "ｚ", "Z", "ä");
        for (String n : names) {
            insert(new Object[] {n, n, "text of " + n, null});
        }
        JdbcSource source = perTenant("SELECT id, body AS text FROM " + table + " WHERE tenant = :tenant OR :tenant = 'all'");
        List<String> expected = names.stream().sorted(RecordKeys.ORDER).toList();
        assertEquals(expected, ids(read(source, "all")));
        assertEquals(expected, tenants(source));
    }

    @Test
    void uuidIdsComeInCodePointOrderOfTheirCanonicalText() throws Exception {
        connect(Databases.POSTGRES);
        exec("CREATE TABLE " + table + " (tenant text, id uuid, body text)");
        List<String> uuids = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            uuids.add(java.util.UUID.randomUUID().toString());
        }
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + " VALUES ('acme', ?::uuid, ?)")) {
            for (String u : uuids) {
                ps.setString(1, u.toUpperCase(java.util.Locale.ROOT)); // stored as a uuid, read back in lower case
                ps.setString(2, "text " + u);
                ps.addBatch();
            }
            ps.executeBatch();
        }
        JdbcSource source = perTenant("SELECT id, body AS text FROM " + table + " WHERE tenant = :tenant");
        assertEquals(uuids.stream().sorted(RecordKeys.ORDER).toList(), ids(read(source, "acme")));
        assertEquals(Set.of(uuids.get(0), uuids.get(1)), source.existing("acme",
                List.of(uuids.get(0), uuids.get(1), "00000000-0000-0000-0000-000000000000")));
    }

    // ---- columns -----------------------------------------------------------------------------------------

    @Test
    void metadataComesFromExtraColumnsAndAJsonbMetadataColumn() throws Exception {
        connect(Databases.POSTGRES);
        exec("CREATE TABLE " + table + " (tenant text, id int, body text, lang text, extra jsonb, stars int)",
                "INSERT INTO " + table + " VALUES ('acme', 1, 'one', 'en', "
                        + "'{\"tags\": [\"a\", \"b\"], \"score\": 3.5, \"name\": \"x\", \"gone\": null, \"lang\": \"xx\","
                        + " \"nested\": {\"k\": true}}', 5)",
                "INSERT INTO " + table + " VALUES ('acme', 2, 'two', NULL, NULL, NULL)",
                "INSERT INTO " + table + " VALUES ('acme', 3, 'three', 'de', '{}', 0)");
        JdbcSource source = perTenant("SELECT id, body AS \"TEXT\", lang, extra AS metadata, stars FROM " + table
                + " WHERE tenant = :tenant");
        List<SourceRecord> records = read(source, "acme");
        assertEquals(Map.of("tags", "[\"a\",\"b\"]", "score", "3.5", "name", "x", "nested", "{\"k\":true}",
                "lang", "en", "stars", "5"), records.get(0).metadata(), "a column wins over a JSON key of its name");
        assertEquals(Map.of(), records.get(1).metadata(), "NULL columns and a NULL metadata add nothing");
        assertEquals(Map.of("lang", "de", "stars", "0"), records.get(2).metadata());
        assertEquals("one", records.get(0).text());
    }

    @Test
    void aMetadataColumnThatIsNotAJsonObjectNamesTheRecord() throws Exception {
        connect(Databases.POSTGRES);
        profiles(new Object[] {"acme", 1, "one", "[1, 2]"});
        JdbcSource source = perTenant("SELECT id, body AS text, lang AS metadata FROM " + table + " WHERE tenant = :tenant");
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> read(source, "acme"));
        SourceException cause = assertInstanceOf(SourceException.class, e.getCause());
        assertTrue(cause.getMessage().contains("tenant 'acme'") && cause.getMessage().contains("record '1' (row 1)")
                && cause.getMessage().contains("expected a JSON object but was a JSON array"), cause.getMessage());
        assertEquals(0, connections.open.get());
    }

    @ParameterizedTest
    @MethodSource("databases")
    void aNullTextNamesTheTenantAndTheRow(Databases database) throws Exception {
        connect(database);
        profiles(new Object[] {"acme", 1, "one", "en"}, new Object[] {"acme", 2, null, "en"},
                new Object[] {"acme", 3, "three", "en"});
        JdbcSource source = perTenant("SELECT id, body AS text FROM " + table + " WHERE tenant = :tenant");
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> read(source, "acme"));
        SourceException cause = assertInstanceOf(SourceException.class, e.getCause());
        assertTrue(cause.getMessage().contains(source.describe() + ": records of tenant 'acme'"), cause.getMessage());
        assertTrue(cause.getMessage().contains("text of record '2' (row 2): expected a value but was NULL"),
                cause.getMessage());
        assertEquals(0, connections.open.get(), "the failing stream gave its connection back");
    }

    @ParameterizedTest
    @MethodSource("databases")
    void aNullIdNamesTheRow(Databases database) throws Exception {
        connect(database);
        profiles(new Object[] {"acme", null, "one", "en"});
        JdbcSource source = perTenant("SELECT id, body AS text FROM " + table + " WHERE tenant = :tenant");
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> read(source, "acme"));
        assertTrue(e.getCause().getMessage().contains("id of row 1: expected a value but was NULL"),
                e.getCause().getMessage());
    }

    @ParameterizedTest
    @MethodSource("databases")
    void aMissingTextColumnIsRefusedAtBuildListingTheColumns(Databases database) throws Exception {
        connect(database);
        profiles();
        SourceException e = assertThrows(SourceException.class,
                () -> perTenant("SELECT id, body, lang FROM " + table + " WHERE tenant = :tenant"));
        assertTrue(e.getMessage().contains("expected a column labelled 'text' (any case) but was [id, body, lang]"),
                e.getMessage());
        assertEquals(0, connections.open.get());
    }

    @Test
    void aQueryTheDatabaseRefusesFailsAtBuild() throws Exception {
        connect(Databases.POSTGRES);
        profiles();
        SourceException e = assertThrows(SourceException.class,
                () -> perTenant("SELECT id, body AS text FROM " + table + "_nope WHERE tenant = :tenant"));
        assertTrue(e.getMessage().contains("(records query): the database refuses the query")
                && e.getMessage().contains(table + "_nope"), e.getMessage());
    }

    @Test
    void aFailureWhileReadingNamesTheSourceAndTenant() throws Exception {
        connect(Databases.POSTGRES);
        profiles(new Object[] {"acme", 1, "one", "en"}, new Object[] {"acme", 5, "five", "en"});
        JdbcSource source = perTenant("SELECT id, body AS text, 10 / (id - 5) AS ratio FROM " + table
                + " WHERE tenant = :tenant");
        IOException e = assertThrows(IOException.class, () -> read(source, "acme"));
        assertInstanceOf(SourceException.class, e);
        assertTrue(e.getMessage().contains(source.describe() + ": records of tenant 'acme'")
                && e.getMessage().contains("division by zero"), e.getMessage());
        assertEquals(0, connections.open.get());
    }

    @Test
    void anInvalidTenantNameIsPassedOnForTheReconcilerToFailThatTenantAlone() throws Exception {
        connect(Databases.POSTGRES);
        profiles(new Object[] {"bad\ttenant", 1, "one", "en"}, new Object[] {"good", 2, "two", "en"});
        JdbcSource source = perTenant("SELECT id, body AS text FROM " + table + " WHERE tenant = :tenant");
        assertEquals(List.of("bad\ttenant", "good"), tenants(source));
    }

    @ParameterizedTest
    @MethodSource("databases")
    void anIntegerTenantColumnIsComparedAsAnInteger(Databases database) throws Exception {
        connect(database);
        exec("CREATE TABLE " + table + " (user_id integer, id integer, body text)",
                "INSERT INTO " + table + " VALUES (123, 1, 'one'), (123, 2, 'two'), (7, 3, 'three')");
        // user_id = :tenant, as one would write it: on PostgreSQL the parameter's type is inferred as integer.
        JdbcSource source = JdbcSource.builder().dataSource(ds)
                .recordsQuery("SELECT id, body AS text FROM " + table + " WHERE user_id = :tenant")
                .tenantsQuery("SELECT user_id FROM " + table).build();
        assertEquals(List.of("123", "7"), tenants(source));
        assertEquals(List.of("1", "2"), ids(read(source, "123")));
        assertEquals(Set.of("3"), source.existing("7", List.of("1", "3")));
    }

    // ---- lookups and connections ---------------------------------------------------------------------------

    @ParameterizedTest
    @MethodSource("databases")
    void existingLooksUpMoreIdsThanOneStatementTakes(Databases database) throws Exception {
        connect(database);
        exec("CREATE TABLE " + table + " (tenant text, id integer, body text, lang text)",
                "CREATE TABLE " + table + "_t (tenant text, id text PRIMARY KEY, body text)");
        Object[][] rows = IntStream.range(0, 1_200).mapToObj(i -> new Object[] {"acme", i, "text " + i, null})
                .toArray(Object[][]::new);
        insert(rows);
        exec("INSERT INTO " + table + "_t SELECT tenant, 'k' || id, body FROM " + table);
        List<String> asked = new ArrayList<>();
        Set<String> expected = new HashSet<>();
        for (int i = 0; i < 1_300; i += 1) {
            asked.add(String.valueOf(i * 2)); // even numbers up to 2,598: 600 of them exist
            if (i * 2 < 1_200) {
                expected.add(String.valueOf(i * 2));
            }
        }
        asked.add("not a number");
        JdbcSource ints = perTenant("SELECT id, body AS text FROM " + table + " WHERE tenant = :tenant");
        assertEquals(expected, ints.existing("acme", asked));
        assertEquals(Set.of(), ints.existing("globex", asked));

        JdbcSource texts = JdbcSource.builder().dataSource(ds).tenantsQuery("SELECT tenant FROM " + table + "_t")
                .recordsQuery("SELECT id, body AS text FROM " + table + "_t WHERE tenant = :tenant").build();
        Set<String> keys = new HashSet<>();
        asked.forEach(a -> keys.add("k" + a));
        Set<String> expectedKeys = new HashSet<>();
        expected.forEach(a -> expectedKeys.add("k" + a));
        assertEquals(expectedKeys, texts.existing("acme", keys));
        exec("DROP TABLE " + table + "_t");
        assertEquals(0, connections.open.get());
    }

    @ParameterizedTest
    @MethodSource("databases")
    void theCursorConnectionGoesBackWhenTheStreamEndsOrIsClosedEarly(Databases database) throws Exception {
        connect(database);
        Object[][] rows = IntStream.range(0, 50).mapToObj(i -> new Object[] {"acme", i, "text " + i, null})
                .toArray(Object[][]::new);
        profiles(rows);
        JdbcSource source = JdbcSource.builder().dataSource(ds).fetchSize(7).tenantsQuery("SELECT tenant FROM " + table)
                .recordsQuery("SELECT id, body AS text FROM " + table + " WHERE tenant = :tenant").build();
        assertEquals(0, connections.open.get(), "build gave its connection back");

        try (Stream<SourceRecord> s = source.records("acme")) {
            assertEquals(1, connections.open.get(), "the stream holds one connection");
            Iterator<SourceRecord> it = s.iterator();
            assertEquals("0", it.next().id());
            assertEquals("1", it.next().id());
        }
        assertEquals(0, connections.open.get(), "closed after two of 50 records");

        Stream<SourceRecord> all = source.records("acme");
        assertEquals(50, all.count());
        assertEquals(0, connections.open.get(), "read to its end");
        all.close(); // and closing again changes nothing
        assertEquals(0, connections.open.get());

        try (Stream<String> t = source.tenants()) {
            assertEquals(1, connections.open.get());
        }
        assertEquals(0, connections.open.get());
        assertTrue(connections.autocommitAtClose.get() && connections.readWriteAtClose.get(),
                "connections go back with autocommit on and read-write, as a pool expects");
    }

    /** Counts open connections and checks the state each is given back in. */
    private static final class Counting {
        final AtomicInteger open = new AtomicInteger();
        final AtomicBoolean autocommitAtClose = new AtomicBoolean(true);
        final AtomicBoolean readWriteAtClose = new AtomicBoolean(true);

        DataSource wrap(DataSource delegate) {
            return (DataSource) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {DataSource.class},
                    (proxy, method, args) -> {
                        Object result = invoke(method, delegate, args);
                        return method.getName().equals("getConnection") ? counted((Connection) result) : result;
                    });
        }

        private Connection counted(Connection real) {
            open.incrementAndGet();
            AtomicBoolean closed = new AtomicBoolean();
            return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class},
                    (p, m, a) -> {
                        if (m.getName().equals("close") && closed.compareAndSet(false, true)) {
                            autocommitAtClose.compareAndSet(true, real.getAutoCommit());
                            readWriteAtClose.compareAndSet(true, !real.isReadOnly());
                            open.decrementAndGet();
                        }
                        return invoke(m, real, a);
                    });
        }

        private static Object invoke(java.lang.reflect.Method m, Object target, Object[] args) throws Throwable {
            try {
                return m.invoke(target, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        }
    }
}
