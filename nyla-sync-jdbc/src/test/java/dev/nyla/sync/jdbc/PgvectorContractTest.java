package dev.nyla.sync.jdbc;

import dev.nyla.sync.store.VectorStore;
import dev.nyla.sync.store.VectorStoreContract;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;

/** The store contract on pgvector (the PGlite socket server): vector(d) columns, HNSW indexes, distance ordering. */
class PgvectorContractTest extends VectorStoreContract {
    private final String prefix = TestDatabases.uniquePrefix();
    private DataSource ds;

    @Override
    protected VectorStore openStore(Path directory) throws IOException {
        ds = TestDatabases.pgvector();
        return JdbcVectorStore.open(ds, JdbcOptions.DEFAULTS.withTablePrefix(prefix).withDialect(JdbcDialect.PGVECTOR));
    }

    @AfterEach
    void dropTables() throws SQLException {
        if (ds != null) {
            TestDatabases.dropStore(ds, prefix);
        }
    }
}
