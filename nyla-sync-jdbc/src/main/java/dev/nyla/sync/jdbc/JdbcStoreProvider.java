package dev.nyla.sync.jdbc;

import dev.nyla.sync.internal.Locations;
import dev.nyla.sync.store.StoreAccessException;
import dev.nyla.sync.store.StoreException;
import dev.nyla.sync.store.VectorStore;
import dev.nyla.sync.store.VectorStoreProvider;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Opens {@link JdbcVectorStore}s from {@code jdbc:} locations, such as
 * {@code jdbc:postgresql://db:5432/app?user=app&password=secret&nyla.prefix=docs} or
 * {@code jdbc:sqlite:/var/lib/app/vectors.db}. Parameters named {@code nyla.*} are the store's
 * ({@link JdbcOptions#parse}); all others go to the driver. The location reported by the store hides the
 * password.
 *
 * <p>The store gets a connection pool (HikariCP, up to {@code nyla.maxConnections} connections, 10 by default)
 * that it closes with itself. The JDBC
 * driver is the application's: {@code org.postgresql:postgresql} or {@code org.xerial:sqlite-jdbc}; a location
 * whose driver is missing is refused with the artifact to add.
 */
public final class JdbcStoreProvider implements VectorStoreProvider {
    /** The location parameter sizing the store's connection pool. */
    private static final String MAX_CONNECTIONS = "maxConnections";

    @Override
    public String scheme() {
        return "jdbc";
    }

    @Override
    public String locationSyntax() {
        return "jdbc:postgresql://<host>[:port]/<db>?user=..&password=..[&nyla.prefix=nyla&nyla.dialect=postgres|pgvector"
                + "&nyla.maxConnections=10] or jdbc:sqlite:<file>[?nyla.prefix=nyla]";
    }

    @Override
    public VectorStore open(String location) throws IOException {
        Parsed p = parse(location);
        DataSource driver = p.url().startsWith("jdbc:sqlite:") ? SqliteDataSources.of(p.url(), false)
                : new DriverDataSource(p.url());
        try {
            return StorePool.open(driver, p.shown(), false, p.maxConnections(),
                    pool -> JdbcVectorStore.open(pool, p.options(), p.shown(), p.sqliteFile()));
        } catch (StoreException e) {
            if (p.sqliteFile().isEmpty() || !SqliteDataSources.isRefusal(e)) {
                throw e;
            }
            // SQLite writes the file and creates its -wal and -shm files beside it.
            Path file = p.sqliteFile().get();
            Path parent = file.toAbsolutePath().getParent();
            Path refused = Files.exists(file) && !Files.isWritable(file) ? file
                    : Files.isDirectory(parent) && !Files.isWritable(parent) ? parent : null;
            if (refused == null) {
                throw e;
            }
            throw refusal(p.shown(), refused, true, e);
        }
    }

    /**
     * Without creating tables or dropping what a writer marked for dropping ({@link JdbcVectorStore#openReadOnly});
     * a SQLite file is opened read-only ({@code SQLITE_OPEN_READONLY}), so read access to it is enough.
     */
    @Override
    public VectorStore openReadOnly(String location) throws IOException {
        Parsed p = parse(location);
        if (p.url().startsWith("jdbc:sqlite:")) {
            // Reading never creates the file; a missing one is a mistyped path, not a permission problem.
            if (p.sqliteFile().isPresent() && !Files.exists(p.sqliteFile().get())) {
                throw new StoreException(p.shown(), "SQLite database file", "an existing file", "missing");
            }
            try {
                return openReadOnly(SqliteDataSources.of(p.url(), true), p, true);
            } catch (StoreException e) {
                if (p.sqliteFile().isEmpty()) {
                    throw e;
                }
                Path file = p.sqliteFile().get();
                if (!SqliteDataSources.isRefusal(e) || !Files.isReadable(file) || Files.exists(walOf(file))) {
                    throw accessDenied(p.shown(), file, e);
                }
                // SQLite reads a WAL database through its -shm index, which a user who may not write the
                // directory cannot create. Without a -wal file no writer has the database open and every
                // committed change is in the file itself, so it can be read as immutable.
                try {
                    return openReadOnly(SqliteDataSources.of(immutableUrl(file, p.url()), true), p, true);
                } catch (StoreException again) {
                    throw accessDenied(p.shown(), file, again);
                }
            }
        }
        return openReadOnly(new DriverDataSource(p.url()), p, false);
    }

    private static VectorStore openReadOnly(DataSource driver, Parsed p, boolean readOnlyConnections)
            throws IOException {
        return StorePool.open(driver, p.shown(), readOnlyConnections, p.maxConnections(),
                pool -> JdbcVectorStore.openReadOnly(pool, p.options(), p.shown()));
    }

    /** A location taken apart: the driver's URL, the store's options, the SQLite file if it is one. */
    private record Parsed(String shown, String url, JdbcOptions options, Optional<Path> sqliteFile, int maxConnections) {
    }

    private Parsed parse(String location) throws StoreException {
        String shown = redact(location);
        int q = location.indexOf('?');
        String base = q < 0 ? location : location.substring(0, q);
        Map<String, String> ours = new LinkedHashMap<>();
        List<String> driverParams = new ArrayList<>();
        if (q >= 0) {
            for (String pair : location.substring(q + 1).split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                if (pair.startsWith("nyla.")) {
                    int eq = pair.indexOf('=');
                    if (eq < 0) {
                        throw new StoreException(shown + ": store option '" + pair + "': expected nyla.<name>=<value>");
                    }
                    ours.put(pair.substring("nyla.".length(), eq),
                            URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
                } else {
                    driverParams.add(pair);
                }
            }
        }
        // The pool's size is the location's, not the store's: a store on an application's data source has no pool.
        int maxConnections = StorePool.DEFAULT_MAX_CONNECTIONS;
        String max = ours.remove(MAX_CONNECTIONS);
        if (max != null) {
            try {
                maxConnections = Integer.parseInt(max.trim());
            } catch (NumberFormatException e) {
                maxConnections = 0;
            }
            if (maxConnections < 1 || maxConnections > StorePool.LIMIT) {
                throw new StoreException(shown, "store option nyla." + MAX_CONNECTIONS,
                        "a whole number of connections from 1 to " + StorePool.LIMIT, "'" + max + "'");
            }
        }
        JdbcOptions options;
        try {
            options = JdbcOptions.parse(ours);
        } catch (IllegalArgumentException e) {
            throw new StoreException(shown + ": " + e.getMessage());
        }
        String url = driverParams.isEmpty() ? base : base + "?" + String.join("&", driverParams);
        Optional<String> missingDriver = JdbcDrivers.missing(url, shown);
        if (missingDriver.isPresent()) {
            throw new StoreException(missingDriver.get());
        }
        Optional<Path> file = Optional.empty();
        if (base.startsWith("jdbc:sqlite:")) {
            String name = base.substring("jdbc:sqlite:".length());
            if (name.isEmpty()) {
                throw new StoreException(shown + ": expected jdbc:sqlite:<file> but the file is missing");
            }
            // A plain path (not :memory:, :resource:, or a file: URI): its tenant locks go in a file beside it.
            if (!name.startsWith(":") && !name.startsWith("file:")) {
                file = Optional.of(Path.of(name).toAbsolutePath());
            }
        }
        return new Parsed(shown, url, options, file, maxConnections);
    }

    private static Path walOf(Path file) {
        return file.resolveSibling(file.getFileName() + "-wal");
    }

    /** {@code file} as a SQLite URI with {@code immutable=1}, keeping the driver parameters of {@code url}. */
    private static String immutableUrl(Path file, String url) {
        int q = url.indexOf('?');
        return "jdbc:sqlite:" + file.toAbsolutePath().toUri() + "?immutable=1" + (q < 0 ? "" : "&" + url.substring(q + 1));
    }

    /**
     * SQLite reports a file it may not open as "unable to open" or "read-only": when the operating system is
     * the reason, a {@link StoreAccessException} that names the file and says what to do.
     */
    private static StoreException accessDenied(String location, Path file, StoreException e) {
        Path refused = !Files.isReadable(file) ? file
                : !Files.isReadable(file.toAbsolutePath().getParent()) ? file.toAbsolutePath().getParent() : null;
        if (refused == null && SqliteDataSources.isRefusal(e)) {
            // WAL databases need their -shm index: readers may have to create it beside the file.
            refused = file.resolveSibling(file.getFileName() + "-shm");
        }
        if (refused == null) {
            return e;
        }
        return refusal(location, refused, false, e);
    }

    /** SQLite's refusal of {@code refused}, as the operating system's: a message that names it and what to do. */
    private static StoreAccessException refusal(String location, Path refused, boolean forWriting, StoreException e) {
        return StoreAccessException.of(location, refused, forWriting,
                new java.nio.file.AccessDeniedException(refused.toString(), null, e.getMessage()));
    }

    /** The location with any password replaced by {@code ***}, for messages and logs. */
    static String redact(String location) {
        return Locations.redact(location);
    }
}
