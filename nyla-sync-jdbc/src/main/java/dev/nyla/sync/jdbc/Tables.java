package dev.nyla.sync.jdbc;

/**
 * The names of one store's tables, already validated ({@link JdbcOptions#NAME_PATTERN}) and quoted. Only
 * these names and generation numbers ever become part of SQL text; every value is a bind parameter.
 */
final class Tables {
    private final String schema;
    private final String prefix;

    Tables(String schema, String prefix) {
        if (!JdbcOptions.NAME_PATTERN.matcher(prefix).matches()
                || !(schema.isEmpty() || JdbcOptions.NAME_PATTERN.matcher(schema).matches())) {
            throw new IllegalArgumentException("table names: expected " + JdbcOptions.NAME_PATTERN.pattern()
                    + " but was schema '" + schema + "', prefix '" + prefix + "'");
        }
        this.schema = schema;
        this.prefix = prefix;
    }

    String prefix() {
        return prefix;
    }

    String schema() {
        return schema;
    }

    /** The one-row table holding the active generation and the activation history. */
    String store() {
        return qualified(prefix + "_store");
    }

    /** One row per generation: its spec, model, count and state. */
    String generations() {
        return qualified(prefix + "_generations");
    }

    /** The unqualified name of generation {@code id}'s table. */
    String generationName(long id) {
        return prefix + "_g" + id;
    }

    /** The qualified, quoted name of generation {@code id}'s table. */
    String generation(long id) {
        return qualified(generationName(id));
    }

    /** A quoted identifier for an index or constraint of generation {@code id}. */
    String generationIndex(long id, String suffix) {
        return quote(generationName(id) + "_" + suffix);
    }

    String qualified(String name) {
        return schema.isEmpty() ? quote(name) : quote(schema) + "." + quote(name);
    }

    private static String quote(String name) {
        // Names are validated to [a-z0-9_]; quoting keeps them exact and out of the keyword space.
        return "\"" + name + "\"";
    }
}
