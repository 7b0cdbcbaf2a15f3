/**
 * The vector store SPI: {@link dev.nyla.sync.store.VectorStore} with generations, atomic activation and
 * rollback, search, inventories and checked mutations; adapters are found by location scheme through
 * {@link dev.nyla.sync.store.VectorStores}. The built-in stores are opened by location: {@code memory:} (the
 * reference implementation, everything in memory) and {@code file:<dir>} (durable, no dependencies).
 */
package dev.nyla.sync.store;
