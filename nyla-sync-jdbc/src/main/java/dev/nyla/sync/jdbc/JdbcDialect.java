package dev.nyla.sync.jdbc;

/**
 * The SQL dialects a {@link JdbcVectorStore} speaks. Detected from the connection unless forced in
 * {@link JdbcOptions#dialect()}.
 */
public enum JdbcDialect {
    /**
     * PostgreSQL without extensions: vectors as {@code bytea} (little-endian float32), exact search per tenant
     * (the tenant's rows are read through the primary key and scored in the JVM).
     */
    POSTGRES,
    /**
     * PostgreSQL with pgvector: a {@code vector(d)} column, an HNSW index per generation, distance operators
     * ({@code <=>}, {@code <#>}, {@code <->}) with iterative index scans for tenant-filtered queries.
     */
    PGVECTOR,
    /** SQLite, the embedded default: one file, vectors as little-endian float32 blobs, exact search per tenant. */
    SQLITE;

    /** The name used in locations and options: {@code postgres}, {@code pgvector}, {@code sqlite}. */
    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * Parses a {@link #wireName()}.
     *
     * @throws IllegalArgumentException naming the accepted values
     */
    public static JdbcDialect fromWireName(String name) {
        for (JdbcDialect d : values()) {
            if (d.wireName().equals(name)) {
                return d;
            }
        }
        throw new IllegalArgumentException("dialect: expected one of postgres, pgvector, sqlite but was '" + name + "'");
    }
}
