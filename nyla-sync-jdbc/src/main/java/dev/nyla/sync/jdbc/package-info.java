/**
 * The JDBC store adapter: {@link dev.nyla.sync.store.VectorStore} on PostgreSQL (plain, or with pgvector's
 * HNSW index) and on SQLite, the embedded default. Open one with {@link dev.nyla.sync.jdbc.JdbcVectorStore#open}
 * on the application's {@link javax.sql.DataSource}, with
 * {@link dev.nyla.sync.jdbc.JdbcVectorStore#openEmbedded} on a file, or by a {@code jdbc:} location through
 * {@link dev.nyla.sync.store.VectorStores}. {@link dev.nyla.sync.jdbc.JdbcSource} reads an application's own
 * table as the reconciler's source of truth.
 */
package dev.nyla.sync.jdbc;
