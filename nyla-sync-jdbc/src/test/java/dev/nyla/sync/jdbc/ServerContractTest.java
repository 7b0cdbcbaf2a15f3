package dev.nyla.sync.jdbc;

import dev.nyla.sync.store.VectorStore;
import dev.nyla.sync.store.VectorStoreContract;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;

/** The store contract on a database server, each test under a table prefix of its own, dropped afterwards. */
abstract class ServerContractTest extends VectorStoreContract {
    private final String prefix = TestDatabases.uniquePrefix();
    private DataSource ds;

    /** The server (skipping or failing the test when it is absent). */
    abstract DataSource server();

    abstract JdbcDialect dialect();

    @Override
    protected VectorStore openStore(Path directory) throws IOException {
        ds = server();
        return JdbcVectorStore.open(ds, JdbcOptions.DEFAULTS.withTablePrefix(prefix).withDialect(dialect()));
    }

    @AfterEach
    void dropTables() throws SQLException {
        if (ds != null) {
            TestDatabases.dropStore(ds, prefix);
        }
    }
}
