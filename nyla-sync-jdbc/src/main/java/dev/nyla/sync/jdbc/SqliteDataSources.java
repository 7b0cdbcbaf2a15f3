package dev.nyla.sync.jdbc;

import dev.nyla.sync.store.StoreException;
import javax.sql.DataSource;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * Everything that names the SQLite driver's classes, in one class that is loaded only for SQLite databases:
 * the driver is optional, and a PostgreSQL application must be able to load the rest of the adapter without it.
 */
final class SqliteDataSources {
    private SqliteDataSources() {
    }

    /**
     * A SQLite data source for {@code url}: WAL journal (readers keep a snapshot while a writer works),
     * {@code synchronous=FULL} (a committed generation survives power loss), and a 30 s busy timeout so that
     * writers from several connections wait for one another instead of failing. The driver applies these
     * settings to every connection it opens, so a pool over it hands out only connections that have them.
     * {@code readOnly} opens the file read-only ({@code SQLITE_OPEN_READONLY}) and changes no setting of it.
     */
    static DataSource of(String url, boolean readOnly) {
        SQLiteConfig config = new SQLiteConfig();
        if (readOnly) {
            config.setReadOnly(true);
        } else {
            config.setJournalMode(SQLiteConfig.JournalMode.WAL);
            config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
        }
        config.setBusyTimeout(30_000);
        SQLiteDataSource ds = new SQLiteDataSource(config);
        ds.setUrl(url);
        return ds;
    }

    /** Whether SQLite refused to open or write the file ({@code SQLITE_READONLY*}, {@code SQLITE_CANTOPEN*}). */
    static boolean isRefusal(StoreException e) {
        return e.getCause() instanceof org.sqlite.SQLiteException s && (s.getResultCode().name().startsWith("SQLITE_READONLY")
                || s.getResultCode().name().startsWith("SQLITE_CANTOPEN"));
    }
}
