package dev.nyla.sync.benchmarks;

import dev.nyla.sync.jdbc.JdbcStoreProvider;
import dev.nyla.sync.store.VectorStore;
import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The PostgreSQL servers of the JDBC benchmarks: the same ones the tests use ({@code ./nyla servers start}),
 * or others named by the environment. A benchmark that needs one fails its setup with this message when it
 * does not answer; the other benchmarks of the run go on.
 */
final class Postgres {
    /** PostgreSQL without extensions. */
    static final String PLAIN = url("NYLA_BENCH_POSTGRES_URL", "NYLA_TEST_POSTGRES_URL",
            "jdbc:postgresql://127.0.0.1:5432/nyla_test?user=nyla&password=nyla");
    /** PostgreSQL with pgvector (PGlite here). */
    static final String PGVECTOR = url("NYLA_BENCH_PGVECTOR_URL", "NYLA_TEST_PGVECTOR_URL",
            "jdbc:postgresql://127.0.0.1:55432/postgres?user=postgres&password=postgres&sslmode=disable&prepareThreshold=0");

    private Postgres() {
    }

    private static String url(String first, String second, String fallback) {
        String v = System.getenv(first);
        if (v == null || v.isBlank()) {
            v = System.getenv(second);
        }
        return v == null || v.isBlank() ? fallback : v;
    }

    /** Fails with a message naming the server and how to start it unless it answers a query. */
    static void require(String url, String what) {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            s.execute("select 1");
        } catch (SQLException e) {
            throw new IllegalStateException(what + " at " + redact(url) + " does not answer (" + e.getMessage()
                    + "): start it with './nyla servers start' or set NYLA_BENCH_POSTGRES_URL / NYLA_BENCH_PGVECTOR_URL");
        }
    }

    /**
     * Opens a JDBC store at {@code url} with extra {@code nyla.*} options such as {@code nyla.prefix=bench}, as
     * applications and the command line do: on the adapter's own connection pool.
     */
    static VectorStore open(String url, String options) throws IOException {
        return new JdbcStoreProvider().open(url + (url.contains("?") ? "&" : "?") + options);
    }

    /** Drops every table whose name starts with {@code prefix_}: what a benchmark's stores left behind. */
    static void dropTables(String url, String prefix) {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            List<String> tables = new ArrayList<>();
            try (ResultSet r = s.executeQuery("select tablename from pg_tables where schemaname = current_schema() "
                    + "and tablename like '" + prefix + "\\_%'")) {
                while (r.next()) {
                    tables.add(r.getString(1));
                }
            }
            for (String t : tables) {
                s.execute("drop table if exists \"" + t + "\" cascade");
            }
        } catch (SQLException e) {
            throw new IllegalStateException("dropping the benchmark's tables " + prefix + "_* at " + redact(url)
                    + ": " + e.getMessage(), e);
        }
    }

    static String redact(String url) {
        return url.replaceAll("(?i)(password=)[^&]*", "$1***");
    }
}
