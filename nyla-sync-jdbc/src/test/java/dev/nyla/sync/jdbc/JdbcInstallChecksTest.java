package dev.nyla.sync.jdbc;

import dev.nyla.sync.client.InstallChecksContract;
import dev.nyla.sync.store.VectorStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The install-time checks on each dialect: SQLite, PostgreSQL and pgvector (the servers skip when absent),
 * each store under a table prefix of its own.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(Databases.class)
class JdbcInstallChecksTest extends InstallChecksContract {
    @Parameter
    Databases database;
    private final String prefix = TestDatabases.uniquePrefix();
    private DataSource ds;

    @Override
    protected VectorStore openStore(Path directory) throws IOException {
        ds = database.dataSource(Files.createDirectories(directory));
        return JdbcVectorStore.open(ds, database.options(prefix));
    }

    @AfterEach
    void dropTables() throws SQLException {
        database.cleanUp(ds, prefix);
    }
}
