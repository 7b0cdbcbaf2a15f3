package dev.nyla.sync.jdbc;

import static org.junit.jupiter.api.Assertions.fail;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Assumptions;

/**
 * The real database servers the JDBC tests run against: PostgreSQL 15 (plain) and the PGlite socket
 * server with pgvector, both started by {@code ./nyla servers start}. A test that needs one skips with a
 * message when it does not answer, and fails instead when {@code NYLA_CI_REQUIRE_SERVERS=1} (set by
 * {@code .ci/run}).
 */
final class TestDatabases {
    static final String POSTGRES_URL = env("NYLA_TEST_POSTGRES_URL",
            "jdbc:postgresql://127.0.0.1:5432/nyla_test?user=nyla&password=nyla");
    static final String PGVECTOR_URL = env("NYLA_TEST_PGVECTOR_URL",
            "jdbc:postgresql://127.0.0.1:55432/postgres?user=postgres&password=postgres&sslmode=disable"
                    + "&prepareThreshold=0");
    private static final AtomicInteger PREFIXES = new AtomicInteger();
    private static final ConcurrentHashMap<String, String> UNREACHABLE = new ConcurrentHashMap<>();

    private TestDatabases() {
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v;
    }

    /** Plain PostgreSQL, or the test is skipped (failed under CI). */
    static DataSource postgres() {
        return require("PostgreSQL", POSTGRES_URL);
    }

    private static volatile DataSource pglitePool;

    /**
     * PGlite with the pgvector extension created, or the test is skipped (failed under CI). Shared and pooled
     * (at most 6 connections): the PGlite server accepts 8 and refuses more outright.
     */
    static synchronized DataSource pgvector() {
        if (pglitePool == null) {
            pglitePool = Databases.pooled(require("PGlite (pgvector)", PGVECTOR_URL), 6);
        }
        DataSource ds = pglitePool;
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE EXTENSION IF NOT EXISTS vector");
        } catch (SQLException e) {
            throw new AssertionError("PGlite at " + PGVECTOR_URL + " has no pgvector: " + e.getMessage(), e);
        }
        return ds;
    }

    private static DataSource require(String what, String url) {
        String reason = UNREACHABLE.get(url);
        if (reason == null) {
            java.util.Properties probe = new java.util.Properties();
            probe.setProperty("loginTimeout", "5");
            probe.setProperty("connectTimeout", "5");
            probe.setProperty("socketTimeout", "10");
            try (Connection c = DriverManager.getConnection(url, probe)) {
                c.isValid(5);
                reason = "";
            } catch (SQLException e) {
                reason = e.getMessage();
            }
            UNREACHABLE.put(url, reason);
        }
        if (!reason.isEmpty()) {
            String message = what + " is not reachable at " + JdbcStoreProvider.redact(url) + " (" + reason
                    + "); ./nyla test starts it when its software is installed, ./nyla servers start starts it by hand";
            if ("1".equals(System.getenv("NYLA_CI_REQUIRE_SERVERS"))) {
                fail(message + " — NYLA_CI_REQUIRE_SERVERS=1 demands it");
            }
            Assumptions.abort(message);
        }
        return new DriverDataSource(url);
    }

    /** A table prefix no other test uses, so tests share one database without seeing each other. */
    static String uniquePrefix() {
        return "t" + ProcessHandle.current().pid() + "_" + PREFIXES.incrementAndGet();
    }

    /** Drops every table of the store with {@code prefix} (PostgreSQL). */
    static void dropStore(DataSource ds, String prefix) throws SQLException {
        try (Connection c = ds.getConnection()) {
            List<String> tables = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE ?")) {
                ps.setString(1, prefix + "\\_%");
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        tables.add(rs.getString(1));
                    }
                }
            }
            try (Statement s = c.createStatement()) {
                for (String t : tables) {
                    s.execute("DROP TABLE IF EXISTS \"" + t + "\"");
                }
            }
        }
    }

    /**
     * The sessions holding ({@code true}) or waiting for ({@code false}) the session-level advisory lock
     * {@code key}, as {@code pg_locks} shows them (PostgreSQL).
     */
    static List<Boolean> advisoryLocks(DataSource ds, long key) throws SQLException {
        List<Boolean> granted = new ArrayList<>();
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT granted FROM pg_locks WHERE locktype = 'advisory' AND classid = ? AND objid = ? AND objsubid = 1")) {
            ps.setLong(1, key >>> 32);
            ps.setLong(2, key & 0xffffffffL);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    granted.add(rs.getBoolean(1));
                }
            }
        }
        return granted;
    }

    /** The tables of the store with {@code prefix}, sorted (PostgreSQL). */
    static List<String> tablesOf(DataSource ds, String prefix) throws SQLException {
        List<String> tables = new ArrayList<>();
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE ? "
                        + "ORDER BY tablename")) {
            ps.setString(1, prefix + "\\_%");
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    tables.add(rs.getString(1));
                }
            }
        }
        return tables;
    }
}
