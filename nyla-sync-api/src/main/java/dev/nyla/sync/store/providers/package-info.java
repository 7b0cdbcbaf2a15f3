/**
 * The providers of {@code memory:} and {@code file:} locations, found by the service loader (the module's
 * {@code provides}, and {@code META-INF/services} on the class path); exported to no one. Applications open
 * stores with {@link dev.nyla.sync.store.VectorStores}.
 */
package dev.nyla.sync.store.providers;
