package dev.nyla.sync.store;

import dev.nyla.sync.IntegrityException;
import dev.nyla.sync.VectorRecord;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A vector store that nyla-sync keeps in sync: the SPI every store adapter implements.
 *
 * <h2>Generations</h2>
 * A store holds one or more <em>generations</em>: complete sets of records, each installed from one
 * artifact version (or built locally). Exactly one generation is <em>active</em>; searches see only it.
 * An install writes a new generation next to the active one ({@link #newGeneration}), commits it durably,
 * then {@link #activate(long) activates} it in one atomic step, so a reader sees either the old or the new
 * set of records, never a mix and never an empty store. The previous generation is kept so that
 * {@link #rollback()} can switch back.
 *
 * <h2>Mutable mode</h2>
 * {@link #upsert} and {@link #delete} change the active generation in place; the reconciler uses them to
 * repair drift. Each call is atomic for readers and durable when it returns. Inactive generations never
 * change; a generation's {@link Generation#recordCount()} is its count when committed. Upserted records
 * must come from the active generation's model: the store records that model's fingerprint for them.
 *
 * <h2>Threads</h2>
 * Implementations are thread-safe: searches run concurrently with each other, with installs and with
 * activations. Installs and mutations may be serialized internally.
 *
 * <p>Adapters are found by {@link VectorStores#open(String)} through a {@link VectorStoreProvider}.
 */
public interface VectorStore extends Closeable {

    /** Where this store lives, as the location string it was opened with (e.g. {@code lucene:/var/nyla}). */
    String location();

    /**
     * The local directory the store keeps its files in, if it has one. The sync client keeps its own state
     * and its downloads beneath it by default, so that they share the store's disk and fate.
     */
    default Optional<java.nio.file.Path> directory() {
        return Optional.empty();
    }

    /** The generation searches currently see; empty until a generation has been activated. */
    Optional<Generation> activeGeneration() throws IOException;

    /** The committed generations this store keeps, newest first, the active one among them. */
    List<Generation> generations() throws IOException;

    /**
     * Starts writing a new, empty generation. Nothing is visible to readers until the returned writer is
     * committed and the generation {@linkplain #activate(long) activated}.
     */
    GenerationWriter newGeneration(GenerationSpec spec) throws IOException;

    /**
     * Starts writing a new generation that begins as a copy of generation {@code baseGenerationId}; the
     * writer then applies changes (a delta) on top. The base generation is not modified.
     *
     * @throws StoreException when the base generation does not exist
     */
    GenerationWriter newGeneration(GenerationSpec spec, long baseGenerationId) throws IOException;

    /**
     * Makes the committed generation {@code generationId} the active one, atomically and durably: a search
     * running concurrently sees the old or the new generation in full. The previously active generation is
     * kept for {@link #rollback()}.
     *
     * @throws StoreException when the generation does not exist
     */
    void activate(long generationId) throws IOException;

    /**
     * Activates the generation that was active before the current one.
     *
     * @return the generation now active
     * @throws StoreException when there is no earlier generation to go back to
     */
    Generation rollback() throws IOException;

    /**
     * Deletes a committed generation that is not active. Its storage is reclaimed once no running search
     * uses it any more.
     *
     * @throws StoreException when it is the active generation or does not exist
     */
    void deleteGeneration(long generationId) throws IOException;

    /**
     * The top {@code k} records of the request's tenant by score against the query vector, best first;
     * records with equal scores are ordered by id in {@link dev.nyla.sync.RecordKeys} order. Only records
     * matching every filter entry are considered, and the result holds fewer than {@code k} hits only when
     * fewer records match. Empty when no generation is active.
     *
     * <p>Approximate indexes (HNSW) may miss some of the exact top k on large data; on the contract suite's
     * small data sets every adapter must return the exact result.
     *
     * @throws dev.nyla.sync.DimensionMismatchException when the query vector's length differs from the
     *         active generation's model dimension
     */
    List<SearchHit> search(SearchRequest request) throws IOException;

    /**
     * Streams the tenants with at least one record in the active generation, in
     * {@link dev.nyla.sync.RecordKeys} order. A stream, because a store may hold millions of tenants (one a
     * user); it must be closed, and I/O failures while streaming surface as {@link java.io.UncheckedIOException}.
     */
    Stream<String> tenants() throws IOException;

    /**
     * Streams the inventory of one tenant in the active generation, read from the store itself: each
     * record's id, content hash and model fingerprint, in ascending {@link dev.nyla.sync.RecordKeys} order of
     * ids. The stream reads the generation that was active when it was opened, whatever is activated
     * while it is consumed. It holds resources and must be closed; I/O failures while streaming surface as
     * {@link java.io.UncheckedIOException}.
     */
    Stream<InventoryEntry> inventory(String tenant) throws IOException;

    /**
     * Inserts or replaces records in the active generation, atomically for readers and durably.
     *
     * @return how many records were inserted and how many replaced
     * @throws StoreException when no generation is active
     * @throws dev.nyla.sync.DimensionMismatchException when a vector does not fit the active model
     */
    WriteResult upsert(List<VectorRecord> records) throws IOException;

    /**
     * Deletes records of one tenant from the active generation by id, atomically for readers and durably.
     *
     * @return how many were deleted and how many ids were not found
     * @throws StoreException when no generation is active
     */
    WriteResult delete(String tenant, Collection<String> ids) throws IOException;

    /** Counts and sizes, for status displays. */
    StoreStats stats() throws IOException;

    /**
     * Re-reads the active generation and checks it against the integrity data this store itself keeps: the
     * full check that opening a store and serving searches do not do, for {@code verify} commands and for
     * health checks after a disk or database incident. What that data is depends on the store (a file's
     * SHA-256 trailer, Lucene's per-file checksums, a content hash per record); the report's
     * {@link IntegrityReport#checked()} says what was re-hashed.
     *
     * <p>Adapters that keep checksums override this. The default, for stores that keep none, lists every
     * tenant's {@link #inventory(String) inventory}, checks that each record carries the active generation's
     * model fingerprint, and counts the records; its report says that nothing was re-hashed.
     *
     * @return the generation verified and how many records it holds
     * @throws IntegrityException naming the generation and the first record or file that does not match
     * @throws StoreException when no generation is active, or the active generation changed during the check
     */
    default IntegrityReport verifyActiveGeneration() throws IOException {
        Generation generation = activeGeneration().orElseThrow(() -> new StoreException(location()
                + ": cannot verify the active generation: none is active"));
        String fingerprint = generation.model().fingerprint();
        long records = 0;
        try (Stream<String> tenants = tenants()) {
            for (Iterator<String> t = tenants.iterator(); t.hasNext(); ) {
                String tenant = t.next();
                try (Stream<InventoryEntry> inventory = inventory(tenant)) {
                    for (Iterator<InventoryEntry> e = inventory.iterator(); e.hasNext(); ) {
                        InventoryEntry entry = e.next();
                        if (!entry.modelFingerprint().equals(fingerprint)) {
                            throw new IntegrityException(location() + " generation " + generation.id() + " record "
                                    + tenant + "/" + entry.id(), "model fingerprint", fingerprint,
                                    entry.modelFingerprint());
                        }
                        records++;
                    }
                }
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        // Each stream reads the generation active when it was opened: a swap meanwhile mixes two of them.
        long after = activeGeneration().map(Generation::id).orElse(0L);
        if (after != generation.id()) {
            throw new StoreException(location() + ": the active generation changed from " + generation.id() + " to "
                    + after + " while it was being verified; verify again");
        }
        String kind = getClass().getSimpleName().isEmpty() ? getClass().getName() : getClass().getSimpleName();
        return new IntegrityReport(generation.id(), records, records + " records listed; " + kind
                + " keeps no checksums to re-hash");
    }
}
