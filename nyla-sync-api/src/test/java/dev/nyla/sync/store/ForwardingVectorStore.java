package dev.nyla.sync.store;

import dev.nyla.sync.VectorRecord;
import java.io.IOException;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A store for tests that passes every SPI method to another store, so that a test store overrides only what
 * it changes. {@link #directory()} keeps the SPI's default (none) and a wrapper is no native-format store: a
 * wrapper that has either says so itself. {@link #verifyActiveGeneration()} keeps the SPI's default too, so it checks
 * what the wrapper lists, not the delegate's own files.
 */
public abstract class ForwardingVectorStore implements VectorStore {
    protected final VectorStore delegate;

    protected ForwardingVectorStore(VectorStore delegate) {
        this.delegate = delegate;
    }

    @Override
    public String location() {
        return delegate.location();
    }

    @Override
    public Optional<Generation> activeGeneration() throws IOException {
        return delegate.activeGeneration();
    }

    @Override
    public List<Generation> generations() throws IOException {
        return delegate.generations();
    }

    @Override
    public GenerationWriter newGeneration(GenerationSpec spec) throws IOException {
        return delegate.newGeneration(spec);
    }

    @Override
    public GenerationWriter newGeneration(GenerationSpec spec, long baseGenerationId) throws IOException {
        return delegate.newGeneration(spec, baseGenerationId);
    }

    @Override
    public void activate(long generationId) throws IOException {
        delegate.activate(generationId);
    }

    @Override
    public Generation rollback() throws IOException {
        return delegate.rollback();
    }

    @Override
    public void deleteGeneration(long generationId) throws IOException {
        delegate.deleteGeneration(generationId);
    }

    @Override
    public List<SearchHit> search(SearchRequest request) throws IOException {
        return delegate.search(request);
    }

    @Override
    public Stream<String> tenants() throws IOException {
        return delegate.tenants();
    }

    @Override
    public Stream<InventoryEntry> inventory(String tenant) throws IOException {
        return delegate.inventory(tenant);
    }

    @Override
    public WriteResult upsert(List<VectorRecord> records) throws IOException {
        return delegate.upsert(records);
    }

    @Override
    public WriteResult delete(String tenant, Collection<String> ids) throws IOException {
        return delegate.delete(tenant, ids);
    }

    @Override
    public StoreStats stats() throws IOException {
        return delegate.stats();
    }

    @Override
    public void close() throws IOException {
        delegate.close();
    }
}
