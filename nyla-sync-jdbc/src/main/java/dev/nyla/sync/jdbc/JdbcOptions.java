package dev.nyla.sync.jdbc;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * How a {@link JdbcVectorStore} lays out its tables and searches.
 *
 * <p>Table and schema names are validated against {@link #NAME_PATTERN} (lowercase letters, digits and
 * underscores) and always quoted; nothing a user or a record supplies ever becomes SQL text: every value is
 * a bind parameter.
 *
 * @param tablePrefix          prefix of the store's tables: {@code <prefix>_store}, {@code <prefix>_generations}
 *                             and one {@code <prefix>_g<id>} per generation; several stores can share one
 *                             database under different prefixes
 * @param schema               the PostgreSQL schema holding the tables, empty for the connection's default;
 *                             SQLite has none
 * @param dialect              the dialect to use, empty to detect it (a store created earlier keeps the dialect
 *                             it was created with)
 * @param createSchema         whether missing tables (and, for {@link JdbcDialect#PGVECTOR}, the extension) are
 *                             created; when false a missing table is an error naming it
 * @param batchSize            rows per JDBC batch in upserts, deletes and non-COPY bulk loads
 * @param bulkLoad             how new generations are loaded into PostgreSQL
 * @param exactSearchThreshold pgvector: tenants with at most this many (filtered) records are searched exactly
 *                             instead of through the HNSW index
 * @param overFetch            pgvector: the index is asked for {@code k × overFetch} candidates, which are then
 *                             re-scored exactly
 * @param efSearch             pgvector: {@code hnsw.ef_search} (at least {@code k × overFetch} is used, at most 1,000)
 * @param hnswM                pgvector: the HNSW index's {@code m}
 * @param hnswEfConstruction   pgvector: the HNSW index's {@code ef_construction}
 */
public record JdbcOptions(String tablePrefix, String schema, Optional<JdbcDialect> dialect, boolean createSchema,
                          int batchSize, BulkLoad bulkLoad, int exactSearchThreshold, int overFetch, int efSearch,
                          int hnswM, int hnswEfConstruction) {

    /** Table prefixes and schema names: a lowercase letter, then up to 39 lowercase letters, digits or underscores. */
    public static final Pattern NAME_PATTERN = Pattern.compile("[a-z][a-z0-9_]{0,39}");

    /** Prefix {@code nyla}, default schema, dialect detected, schema created on demand. */
    public static final JdbcOptions DEFAULTS = new JdbcOptions("nyla", "", Optional.empty(), true, 500, BulkLoad.AUTO,
            2_000, 4, 100, 16, 64);

    /** How a new generation's rows reach PostgreSQL. */
    public enum BulkLoad {
        /**
         * {@code COPY ... FROM STDIN (FORMAT BINARY)}, except on servers known not to support the copy
         * sub-protocol (the PGlite socket server), where batched inserts are used.
         */
        AUTO,
        /** Always {@code COPY ... FROM STDIN (FORMAT BINARY)}. */
        COPY,
        /** Batched {@code INSERT}s. */
        INSERT
    }

    public JdbcOptions {
        List<String> problems = new ArrayList<>();
        if (tablePrefix == null || !NAME_PATTERN.matcher(tablePrefix).matches()) {
            problems.add("tablePrefix: expected " + NAME_PATTERN.pattern() + " but was '" + tablePrefix + "'");
        }
        if (schema == null || !(schema.isEmpty() || NAME_PATTERN.matcher(schema).matches())) {
            problems.add("schema: expected empty or " + NAME_PATTERN.pattern() + " but was '" + schema + "'");
        }
        if (dialect == null) {
            problems.add("dialect: expected a dialect or empty but was null");
        }
        if (bulkLoad == null) {
            problems.add("bulkLoad: expected auto, copy or insert but was null");
        }
        check(problems, "batchSize", batchSize, 1, 100_000);
        check(problems, "exactSearchThreshold", exactSearchThreshold, 0, 10_000_000);
        check(problems, "overFetch", overFetch, 1, 100);
        check(problems, "efSearch", efSearch, 1, 1_000);
        check(problems, "hnswM", hnswM, 2, 100);
        check(problems, "hnswEfConstruction", hnswEfConstruction, 4, 1_000);
        if (problems.isEmpty() && hnswEfConstruction < 2 * hnswM) {
            problems.add("hnswEfConstruction: expected at least 2 × hnswM = " + 2 * hnswM + " but was "
                    + hnswEfConstruction);
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("JDBC store options: " + String.join("; ", problems));
        }
    }

    private static void check(List<String> problems, String name, int value, int min, int max) {
        if (value < min || value > max) {
            problems.add(name + ": expected " + min + ".." + max + " but was " + value);
        }
    }

    /** These options with another table prefix. */
    public JdbcOptions withTablePrefix(String prefix) {
        return new JdbcOptions(prefix, schema, dialect, createSchema, batchSize, bulkLoad, exactSearchThreshold,
                overFetch, efSearch, hnswM, hnswEfConstruction);
    }

    /** These options with another PostgreSQL schema (empty: the connection's default). */
    public JdbcOptions withSchema(String newSchema) {
        return new JdbcOptions(tablePrefix, newSchema, dialect, createSchema, batchSize, bulkLoad, exactSearchThreshold,
                overFetch, efSearch, hnswM, hnswEfConstruction);
    }

    /** These options forcing a dialect instead of detecting it. */
    public JdbcOptions withDialect(JdbcDialect forced) {
        return new JdbcOptions(tablePrefix, schema, Optional.of(forced), createSchema, batchSize, bulkLoad,
                exactSearchThreshold, overFetch, efSearch, hnswM, hnswEfConstruction);
    }

    /** These options with schema creation on or off. */
    public JdbcOptions withCreateSchema(boolean create) {
        return new JdbcOptions(tablePrefix, schema, dialect, create, batchSize, bulkLoad, exactSearchThreshold,
                overFetch, efSearch, hnswM, hnswEfConstruction);
    }

    /** These options with another JDBC batch size. */
    public JdbcOptions withBatchSize(int rows) {
        return new JdbcOptions(tablePrefix, schema, dialect, createSchema, rows, bulkLoad, exactSearchThreshold,
                overFetch, efSearch, hnswM, hnswEfConstruction);
    }

    /** These options with another bulk-load method. */
    public JdbcOptions withBulkLoad(BulkLoad method) {
        return new JdbcOptions(tablePrefix, schema, dialect, createSchema, batchSize, method, exactSearchThreshold,
                overFetch, efSearch, hnswM, hnswEfConstruction);
    }

    /** These options with another exact-search threshold (pgvector; 0: always use the index). */
    public JdbcOptions withExactSearchThreshold(int records) {
        return new JdbcOptions(tablePrefix, schema, dialect, createSchema, batchSize, bulkLoad, records, overFetch,
                efSearch, hnswM, hnswEfConstruction);
    }

    /** These options with other HNSW search settings (pgvector). */
    public JdbcOptions withSearch(int newOverFetch, int newEfSearch) {
        return new JdbcOptions(tablePrefix, schema, dialect, createSchema, batchSize, bulkLoad, exactSearchThreshold,
                newOverFetch, newEfSearch, hnswM, hnswEfConstruction);
    }

    /** These options with another HNSW index shape (pgvector). */
    public JdbcOptions withHnsw(int m, int efConstruction) {
        return new JdbcOptions(tablePrefix, schema, dialect, createSchema, batchSize, bulkLoad, exactSearchThreshold,
                overFetch, efSearch, m, efConstruction);
    }

    /**
     * Options from location parameters, the {@code nyla.} prefix already removed: {@code prefix},
     * {@code schema}, {@code dialect} ({@code postgres|pgvector|sqlite}), {@code createSchema}
     * ({@code true|false}), {@code batchSize}, {@code bulkLoad} ({@code auto|copy|insert}),
     * {@code exactSearchThreshold}, {@code overFetch}, {@code efSearch}, {@code m}, {@code efConstruction}.
     * Unnamed settings keep their defaults.
     *
     * @throws IllegalArgumentException naming an unknown parameter or a bad value
     */
    public static JdbcOptions parse(Map<String, String> params) {
        JdbcOptions o = DEFAULTS;
        // The HNSW shape is checked as a pair, so it is set once, whatever the order of m and efConstruction.
        if (params.containsKey("m") || params.containsKey("efConstruction")) {
            o = o.withHnsw(params.containsKey("m") ? integer(Map.entry("m", params.get("m"))) : o.hnswM,
                    params.containsKey("efConstruction")
                            ? integer(Map.entry("efConstruction", params.get("efConstruction"))) : o.hnswEfConstruction);
        }
        for (Map.Entry<String, String> e : params.entrySet()) {
            String v = e.getValue();
            o = switch (e.getKey()) {
                case "prefix" -> o.withTablePrefix(v);
                case "schema" -> o.withSchema(v);
                case "dialect" -> o.withDialect(JdbcDialect.fromWireName(v));
                case "createSchema" -> o.withCreateSchema(bool(e));
                case "batchSize" -> o.withBatchSize(integer(e));
                case "bulkLoad" -> o.withBulkLoad(bulkLoad(v));
                case "exactSearchThreshold" -> o.withExactSearchThreshold(integer(e));
                case "overFetch" -> o.withSearch(integer(e), o.efSearch);
                case "efSearch" -> o.withSearch(o.overFetch, integer(e));
                case "m", "efConstruction" -> o; // set above
                default -> throw new IllegalArgumentException("JDBC store option 'nyla." + e.getKey()
                        + "': expected one of prefix, schema, dialect, createSchema, batchSize, bulkLoad, "
                        + "exactSearchThreshold, overFetch, efSearch, m, efConstruction");
            };
        }
        return o;
    }

    private static BulkLoad bulkLoad(String v) {
        return switch (v) {
            case "auto" -> BulkLoad.AUTO;
            case "copy" -> BulkLoad.COPY;
            case "insert" -> BulkLoad.INSERT;
            default -> throw new IllegalArgumentException("JDBC store option nyla.bulkLoad: expected auto, copy or "
                    + "insert but was '" + v + "'");
        };
    }

    private static boolean bool(Map.Entry<String, String> e) {
        return switch (e.getValue()) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("JDBC store option nyla." + e.getKey()
                    + ": expected true or false but was '" + e.getValue() + "'");
        };
    }

    private static int integer(Map.Entry<String, String> e) {
        try {
            return Integer.parseInt(e.getValue());
        } catch (NumberFormatException x) {
            throw new IllegalArgumentException("JDBC store option nyla." + e.getKey() + ": expected an integer but was '"
                    + e.getValue() + "'");
        }
    }
}
