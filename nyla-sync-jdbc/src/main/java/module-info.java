/**
 * A {@link dev.nyla.sync.store.VectorStore} on JDBC ({@code jdbc:} locations: SQLite, PostgreSQL, pgvector) and
 * a SQL query as the reconciler's source of truth.
 *
 * <p>The drivers are static dependencies: the code that needs one (PostgreSQL's {@code COPY}, SQLite's data
 * source) runs only for a location of that database, and a driver on the module path is resolved through
 * {@code java.sql}'s use of {@link java.sql.Driver}.
 *
 * @provides dev.nyla.sync.store.VectorStoreProvider {@code jdbc:sqlite:…} and {@code jdbc:postgresql:…} locations
 */
module dev.nyla.sync.jdbc {
    requires transitive dev.nyla.sync;
    requires transitive java.sql;
    requires com.fasterxml.jackson.databind;
    requires com.zaxxer.hikari;
    requires org.slf4j;
    // PostgreSQL's driver has no module descriptor; this is the Automatic-Module-Name of its manifest.
    requires static org.postgresql.jdbc;
    requires static org.xerial.sqlitejdbc;

    exports dev.nyla.sync.jdbc;

    provides dev.nyla.sync.store.VectorStoreProvider with dev.nyla.sync.jdbc.JdbcStoreProvider;
}
