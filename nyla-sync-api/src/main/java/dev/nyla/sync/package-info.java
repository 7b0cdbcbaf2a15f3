/**
 * Value types shared by every part of nyla-sync: {@link dev.nyla.sync.VectorRecord} and
 * {@link dev.nyla.sync.SourceRecord}, {@link dev.nyla.sync.EmbeddingModel} and {@link dev.nyla.sync.Similarity},
 * the content hash, the one key order ({@link dev.nyla.sync.RecordKeys}), and the base of all data errors,
 * {@link dev.nyla.sync.NylaSyncException}.
 */
package dev.nyla.sync;
