package dev.nyla.sync.jdbc;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.stream.Stream;
import javax.sql.DataSource;

/** The three dialects as test parameters: each knows how to reach its database and to clean up after a test. */
enum Databases {
    SQLITE(JdbcDialect.SQLITE),
    POSTGRES(JdbcDialect.POSTGRES),
    PGVECTOR(JdbcDialect.PGVECTOR);

    final JdbcDialect dialect;

    Databases(JdbcDialect dialect) {
        this.dialect = dialect;
    }

    /** The database (a file under {@code dir} for SQLite); skips or fails the test when the server is absent. */
    DataSource dataSource(Path dir) {
        return switch (this) {
            case SQLITE -> SqliteDataSources.of("jdbc:sqlite:" + dir.resolve("vectors.db"), false);
            case POSTGRES -> TestDatabases.postgres();
            case PGVECTOR -> TestDatabases.pgvector();
        };
    }

    /** The location of the store with {@code prefix}, as an application configures it (SQLite: a file under {@code dir}). */
    String location(Path dir, String prefix) {
        return switch (this) {
            case SQLITE -> "jdbc:sqlite:" + dir.resolve("vectors.db") + "?nyla.prefix=" + prefix;
            case POSTGRES -> TestDatabases.POSTGRES_URL + "&nyla.prefix=" + prefix + "&nyla.dialect=postgres";
            case PGVECTOR -> TestDatabases.PGVECTOR_URL + "&nyla.prefix=" + prefix + "&nyla.dialect=pgvector";
        };
    }

    /** The tables of the store with {@code prefix}, sorted. */
    List<String> tables(DataSource ds, String prefix) throws SQLException {
        if (this != SQLITE) {
            return TestDatabases.tablesOf(ds, prefix);
        }
        List<String> tables = new java.util.ArrayList<>();
        try (Connection c = ds.getConnection(); java.sql.PreparedStatement ps = c.prepareStatement(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE ? ESCAPE '\\' ORDER BY name")) {
            ps.setString(1, prefix + "\\_%");
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    tables.add(rs.getString(1));
                }
            }
        }
        return tables;
    }

    JdbcOptions options(String prefix) {
        return JdbcOptions.DEFAULTS.withTablePrefix(prefix).withDialect(dialect);
    }

    void cleanUp(DataSource ds, String prefix) throws SQLException {
        if (this != SQLITE && ds != null) {
            TestDatabases.dropStore(ds, prefix);
        }
    }

    static Stream<Databases> all() {
        return Stream.of(values());
    }

    /** A data source that remembers the connections it handed out, so a test can cut one mid-transaction. */
    static final class Recording implements DataSource {
        final DataSource delegate;
        final List<Connection> handedOut = new CopyOnWriteArrayList<>();

        Recording(DataSource delegate) {
            this.delegate = delegate;
        }

        @Override
        public Connection getConnection() throws SQLException {
            Connection c = delegate.getConnection();
            handedOut.add(c);
            return c;
        }

        @Override
        public Connection getConnection(String user, String password) throws SQLException {
            Connection c = delegate.getConnection(user, password);
            handedOut.add(c);
            return c;
        }

        @Override
        public java.io.PrintWriter getLogWriter() throws SQLException {
            return delegate.getLogWriter();
        }

        @Override
        public void setLogWriter(java.io.PrintWriter out) throws SQLException {
            delegate.setLogWriter(out);
        }

        @Override
        public void setLoginTimeout(int seconds) throws SQLException {
            delegate.setLoginTimeout(seconds);
        }

        @Override
        public int getLoginTimeout() throws SQLException {
            return delegate.getLoginTimeout();
        }

        @Override
        public java.util.logging.Logger getParentLogger() throws java.sql.SQLFeatureNotSupportedException {
            return delegate.getParentLogger();
        }

        @Override
        public <T> T unwrap(Class<T> iface) throws SQLException {
            return delegate.unwrap(iface);
        }

        @Override
        public boolean isWrapperFor(Class<?> iface) throws SQLException {
            return delegate.isWrapperFor(iface);
        }

        /** The open connections handed out so far that match. */
        List<Connection> open(Function<Connection, Boolean> match) {
            return handedOut.stream().filter(c -> {
                try {
                    return !c.isClosed() && match.apply(c);
                } catch (SQLException e) {
                    return false;
                }
            }).toList();
        }
    }

    /**
     * A data source keeping one connection per thread, as an application's pool would, so that concurrent
     * operations overlap in the database instead of queueing on connection set-up.
     */
    static DataSource perThread(DataSource delegate) {
        ThreadLocal<Connection> connections = new ThreadLocal<>();
        return (DataSource) java.lang.reflect.Proxy.newProxyInstance(Databases.class.getClassLoader(),
                new Class<?>[] {DataSource.class}, (proxy, method, args) -> {
                    if (!method.getName().equals("getConnection")) {
                        return method.invoke(delegate, args);
                    }
                    Connection c = connections.get();
                    if (c == null || c.isClosed()) {
                        c = delegate.getConnection();
                        connections.set(c);
                    }
                    Connection real = c;
                    return java.lang.reflect.Proxy.newProxyInstance(Databases.class.getClassLoader(),
                            new Class<?>[] {Connection.class}, (p, m, a) -> {
                                if (m.getName().equals("close")) {
                                    return null; // back to the "pool"
                                }
                                try {
                                    return m.invoke(real, a);
                                } catch (java.lang.reflect.InvocationTargetException e) {
                                    throw e.getCause();
                                }
                            });
                });
    }

    /**
     * A small blocking pool for the tests that hand the store a data source, as applications do (the library
     * pools only what it opens itself: locations and openEmbedded): at most
     * {@code max} connections, reused, so that tests stay under a server's connection limit (the PGlite
     * socket server refuses a ninth connection outright) instead of opening one per operation.
     */
    static DataSource pooled(DataSource delegate, int max) {
        java.util.concurrent.Semaphore permits = new java.util.concurrent.Semaphore(max);
        java.util.concurrent.ConcurrentLinkedDeque<Connection> idle = new java.util.concurrent.ConcurrentLinkedDeque<>();
        return (DataSource) java.lang.reflect.Proxy.newProxyInstance(Databases.class.getClassLoader(),
                new Class<?>[] {DataSource.class}, (proxy, method, args) -> {
                    if (!method.getName().equals("getConnection")) {
                        return method.invoke(delegate, args);
                    }
                    if (!permits.tryAcquire(60, java.util.concurrent.TimeUnit.SECONDS)) {
                        throw new SQLException("test pool: no connection free within 60 s (max " + max + ")");
                    }
                    Connection real;
                    try {
                        Connection c = idle.pollFirst();
                        while (c != null && c.isClosed()) {
                            c = idle.pollFirst();
                        }
                        real = c != null ? c : delegate.getConnection();
                    } catch (SQLException | RuntimeException e) {
                        permits.release();
                        throw e;
                    }
                    java.util.concurrent.atomic.AtomicBoolean returned = new java.util.concurrent.atomic.AtomicBoolean();
                    return java.lang.reflect.Proxy.newProxyInstance(Databases.class.getClassLoader(),
                            new Class<?>[] {Connection.class}, (p, m, a) -> {
                                if (m.getName().equals("close")) {
                                    if (returned.compareAndSet(false, true)) {
                                        if (!real.isClosed()) {
                                            if (!real.getAutoCommit()) {
                                                real.rollback();
                                                real.setAutoCommit(true);
                                            }
                                            idle.addFirst(real);
                                        }
                                        permits.release();
                                    }
                                    return null;
                                }
                                if (m.getName().equals("isClosed") && returned.get()) {
                                    return true;
                                }
                                try {
                                    return m.invoke(real, a);
                                } catch (java.lang.reflect.InvocationTargetException e) {
                                    throw e.getCause();
                                }
                            });
                });
    }
}
