package dev.nyla.sync.jdbc;

import javax.sql.DataSource;

/** The store contract on pgvector (the PGlite socket server): vector(d) columns, HNSW indexes, distance ordering. */
class PgvectorContractTest extends ServerContractTest {
    @Override
    DataSource server() {
        return TestDatabases.pgvector();
    }

    @Override
    JdbcDialect dialect() {
        return JdbcDialect.PGVECTOR;
    }
}
