/**
 * The JDBC store adapter: {@link dev.nyla.sync.store.VectorStore} on PostgreSQL (plain and pgvector) and an
 * embedded database. Not yet implemented: this module is a placeholder in the build.
 */
package dev.nyla.sync.jdbc;
