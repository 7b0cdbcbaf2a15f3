/**
 * The Lucene store adapter: {@link dev.nyla.sync.store.VectorStore} on Lucene HNSW, generations as index
 * directories, and store-native artifacts (prebuilt segments) with deltas by file. Not yet implemented:
 * this module is a placeholder in the build so that the module graph is in place from the start.
 */
package dev.nyla.sync.lucene;
