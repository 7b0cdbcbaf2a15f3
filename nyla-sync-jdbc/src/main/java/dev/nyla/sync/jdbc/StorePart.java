package dev.nyla.sync.jdbc;

/**
 * One concern of an opened store (searching, streaming inventories, mutating), with what every concern works
 * with: the store's name for messages, its options, dialect and tables, its connections and its generations.
 */
abstract sealed class StorePart permits Searches, Inventories, Mutations {
    final Transactions tx;
    final Generations generations;
    final Dialect dialect;
    final Tables tables;
    final JdbcOptions options;
    final String location;

    StorePart(Transactions tx, Generations generations, Dialect dialect, JdbcOptions options, String location) {
        this.tx = tx;
        this.generations = generations;
        this.dialect = dialect;
        this.tables = dialect.tables;
        this.options = options;
        this.location = location;
    }
}
