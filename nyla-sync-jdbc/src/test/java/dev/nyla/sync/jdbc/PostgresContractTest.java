package dev.nyla.sync.jdbc;

import javax.sql.DataSource;

/** The store contract on a real PostgreSQL 15 without extensions: bytea vectors, exact search, binary COPY. */
class PostgresContractTest extends ServerContractTest {
    @Override
    DataSource server() {
        return TestDatabases.postgres();
    }

    @Override
    JdbcDialect dialect() {
        return JdbcDialect.POSTGRES;
    }
}
