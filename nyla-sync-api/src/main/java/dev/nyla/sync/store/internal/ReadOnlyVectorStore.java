package dev.nyla.sync.store.internal;

import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.GenerationSpec;
import dev.nyla.sync.store.GenerationWriter;
import dev.nyla.sync.store.IntegrityReport;
import dev.nyla.sync.store.InventoryEntry;
import dev.nyla.sync.store.ReadOnlyStoreException;
import dev.nyla.sync.store.SearchHit;
import dev.nyla.sync.store.SearchRequest;
import dev.nyla.sync.store.StoreStats;
import dev.nyla.sync.store.VectorStore;
import dev.nyla.sync.store.VectorStoreProvider;
import dev.nyla.sync.store.VectorStores;
import dev.nyla.sync.store.WriteResult;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A store that serves reads (searches, inventories, statistics, verification) and refuses every write with
 * a {@link ReadOnlyStoreException}: what {@link VectorStores#openReadOnly} returns. It has no
 * native installer (it is no {@link dev.nyla.sync.nativepayload.NativeFormatStore}), since installing is writing. Closing it closes the
 * store it wraps.
 */
public final class ReadOnlyVectorStore implements VectorStore {
    private final VectorStore store;

    private ReadOnlyVectorStore(VectorStore store) {
        this.store = store;
    }

    /**
     * A read-only view of {@code store}, which it takes over (closing the view closes it). Adapters wrap the
     * store they opened without the writer's lock; {@link VectorStoreProvider#openReadOnly}'s default wraps a
     * store opened as for writing.
     */
    public static ReadOnlyVectorStore of(VectorStore store) {
        Objects.requireNonNull(store, "store");
        return store instanceof ReadOnlyVectorStore r ? r : new ReadOnlyVectorStore(store);
    }

    @Override
    public String location() {
        return store.location();
    }

    @Override
    public Optional<Path> directory() {
        return store.directory();
    }

    @Override
    public Optional<Generation> activeGeneration() throws IOException {
        return store.activeGeneration();
    }

    @Override
    public List<Generation> generations() throws IOException {
        return store.generations();
    }

    @Override
    public GenerationWriter newGeneration(GenerationSpec spec) throws IOException {
        throw new ReadOnlyStoreException(location(), "write a new generation");
    }

    @Override
    public GenerationWriter newGeneration(GenerationSpec spec, long baseGenerationId) throws IOException {
        throw new ReadOnlyStoreException(location(), "write a new generation");
    }

    @Override
    public void activate(long generationId) throws IOException {
        throw new ReadOnlyStoreException(location(), "activate generation " + generationId);
    }

    @Override
    public Generation rollback() throws IOException {
        throw new ReadOnlyStoreException(location(), "roll back");
    }

    @Override
    public void deleteGeneration(long generationId) throws IOException {
        throw new ReadOnlyStoreException(location(), "delete generation " + generationId);
    }

    @Override
    public List<SearchHit> search(SearchRequest request) throws IOException {
        return store.search(request);
    }

    @Override
    public Stream<String> tenants() throws IOException {
        return store.tenants();
    }

    @Override
    public Stream<InventoryEntry> inventory(String tenant) throws IOException {
        return store.inventory(tenant);
    }

    @Override
    public WriteResult upsert(List<VectorRecord> records) throws IOException {
        throw new ReadOnlyStoreException(location(), "upsert records");
    }

    @Override
    public WriteResult delete(String tenant, Collection<String> ids) throws IOException {
        throw new ReadOnlyStoreException(location(), "delete records");
    }

    @Override
    public StoreStats stats() throws IOException {
        return store.stats();
    }

    @Override
    public IntegrityReport verifyActiveGeneration() throws IOException {
        return store.verifyActiveGeneration();
    }

    @Override
    public void close() throws IOException {
        store.close();
    }

    @Override
    public String toString() {
        return "ReadOnly[" + store + "]";
    }
}
