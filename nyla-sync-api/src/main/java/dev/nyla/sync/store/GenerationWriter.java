package dev.nyla.sync.store;

import dev.nyla.sync.VectorRecord;
import java.io.Closeable;
import java.io.IOException;

/**
 * Writes one new generation of a {@link VectorStore}. Records are streamed in with {@link #add}; a writer
 * started from a base generation also takes {@link #delete}s. Nothing is visible to searches until
 * {@link #commit()} has returned and the generation is {@linkplain VectorStore#activate(long) activated}.
 *
 * <p>Adds and deletes come in strictly ascending key order (tenant, then id, by
 * {@link dev.nyla.sync.RecordKeys}), each key at most once, as they do in payload files: so adapters can
 * bulk-load (Lucene's {@code addDocument}, PostgreSQL's {@code COPY}) instead of looking up every key.
 *
 * <p>A writer is used by one thread. Closing a writer that was not committed aborts it and removes what it
 * wrote.
 */
public interface GenerationWriter extends Closeable {

    /**
     * Adds a record, replacing one with the same key inherited from the base generation.
     *
     * @throws dev.nyla.sync.DimensionMismatchException when the vector does not fit the spec's model
     * @throws IllegalArgumentException when the key is not after the previous add or delete
     */
    void add(VectorRecord record) throws IOException;

    /**
     * Removes a record inherited from the base generation; a missing key is ignored.
     *
     * @throws IllegalArgumentException when the key is not after the previous add or delete
     */
    void delete(String tenant, String id) throws IOException;

    /** How many records the generation holds so far, inherited ones included. */
    long recordCount();

    /**
     * Makes the generation durable and returns it. It is not yet active.
     *
     * @throws StoreException when the writer was already committed or aborted
     */
    Generation commit() throws IOException;

    /** Discards everything this writer wrote. Does nothing after {@link #commit()}. */
    void abort() throws IOException;

    /** Aborts unless committed. */
    @Override
    void close() throws IOException;
}
