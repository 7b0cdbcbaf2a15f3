package dev.nyla.sync.reconcile;

import dev.nyla.sync.SourceRecord;
import java.io.Closeable;
import java.io.IOException;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The data a vector store is built from, as the {@link Reconciler} reads it: the SPI for sources of truth
 * (a table of profiles, a document corpus, a content service).
 *
 * <p>A source yields {@link SourceRecord}s (id, text, metadata). It never computes content hashes or
 * vectors: the reconciler hashes each record with the embedding model's fingerprint and embeds only
 * what the store lacks or holds stale.
 *
 * <h2>Order</h2>
 * Both streams are sorted in {@link dev.nyla.sync.RecordKeys} order (Unicode code point order, which is the
 * order of PostgreSQL's {@code COLLATE "C"} and of SQLite's {@code BINARY}) and free of duplicates. The
 * reconciler merges them with the store's equally sorted inventory, so that a million ids are compared in
 * one pass with a small heap; it checks the order as it reads and fails with a {@link SourceException}
 * naming the two offending ids when a source breaks it.
 *
 * <p>Streams hold resources (a cursor, a connection) and are closed by the reader; failures while
 * streaming surface as {@link java.io.UncheckedIOException}. Implementations are thread-safe: the
 * reconciler reads several tenants at once.
 */
public interface SourceOfTruth extends Closeable {

    /** What this source is, for messages and logs, e.g. {@code jdbc:postgresql://db/app (profiles query)}. */
    String describe();

    /** Streams every tenant that has at least one record, in {@link dev.nyla.sync.RecordKeys} order. */
    Stream<String> tenants() throws IOException;

    /**
     * Streams the records of {@code tenant} in ascending {@link dev.nyla.sync.RecordKeys} order of ids, each
     * with {@link SourceRecord#tenant()} equal to {@code tenant}. Empty for a tenant the source does not know.
     */
    Stream<SourceRecord> records(String tenant) throws IOException;

    /**
     * Which of {@code ids} exist in {@code tenant}: the cheap existence probe the {@link HealingSearch}
     * runs on every search result. The default reads the whole tenant; sources that can look ids up
     * directly (an indexed table) override it.
     */
    default Set<String> existing(String tenant, Collection<String> ids) throws IOException {
        Set<String> wanted = new HashSet<>(ids);
        Set<String> found = new HashSet<>();
        try (Stream<SourceRecord> records = records(tenant)) {
            records.map(SourceRecord::id).filter(wanted::contains).forEach(found::add);
        }
        return found;
    }

    /** Releases what the source holds. */
    @Override
    default void close() throws IOException {
    }
}
