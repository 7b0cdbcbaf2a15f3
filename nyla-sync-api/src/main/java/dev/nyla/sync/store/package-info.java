/**
 * The vector store SPI: {@link dev.nyla.sync.store.VectorStore} with generations, atomic activation and
 * rollback, search, inventories and checked mutations; adapters are found by location scheme through
 * {@link dev.nyla.sync.store.VectorStores}. {@link dev.nyla.sync.store.MemoryVectorStore} is the reference
 * implementation.
 */
package dev.nyla.sync.store;
