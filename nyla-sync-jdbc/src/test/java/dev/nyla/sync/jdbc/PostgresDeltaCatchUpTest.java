package dev.nyla.sync.jdbc;

import dev.nyla.sync.client.DeltaCatchUpContract;
import dev.nyla.sync.store.VectorStore;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;

/** Catching up by one delta on a real PostgreSQL 15 (skipped when none answers), under a table prefix of its own. */
class PostgresDeltaCatchUpTest extends DeltaCatchUpContract {
    private final String prefix = TestDatabases.uniquePrefix();
    private DataSource ds;

    @Override
    protected VectorStore openStore(Path directory) throws IOException {
        ds = TestDatabases.postgres();
        return JdbcVectorStore.open(ds, JdbcOptions.DEFAULTS.withTablePrefix(prefix).withDialect(JdbcDialect.POSTGRES));
    }

    @AfterEach
    void dropTables() throws SQLException {
        if (ds != null) {
            TestDatabases.dropStore(ds, prefix);
        }
    }
}
