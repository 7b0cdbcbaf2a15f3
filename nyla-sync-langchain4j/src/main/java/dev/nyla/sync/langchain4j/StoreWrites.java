package dev.nyla.sync.langchain4j;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.InventoryEntry;
import dev.nyla.sync.store.ReadOnlyStoreException;
import dev.nyla.sync.store.StoreException;
import dev.nyla.sync.store.VectorStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;

/**
 * LangChain4j's writes on a nyla store: refused unless the application allowed them, and then the store's
 * mutable mode ({@link VectorStore#upsert}, {@link VectorStore#delete}) on its active generation.
 *
 * <p>Refused by default because a store nyla-sync keeps is written by installs: each full install builds a
 * new generation from the published artifact alone, so a record added here would vanish at the next one
 * (a records delta, built on the active generation, would keep it), and the reconciler deletes it as stale.
 */
final class StoreWrites {
    /** Records per {@code upsert} or {@code delete} call, so a large {@code addAll} is not one huge transaction. */
    private static final int BATCH = 1_000;

    private final VectorStore store;
    private final String tenant;
    private final boolean allowed;

    StoreWrites(VectorStore store, String tenant, boolean allowed) {
        this.store = store;
        this.tenant = tenant;
        this.allowed = allowed;
    }

    /** Inserts or replaces one record per id, in the active generation. */
    void upsert(String operation, List<String> ids, List<Embedding> embeddings, List<TextSegment> segments) {
        requireAllowed(operation);
        if (ids.size() != embeddings.size() || (segments != null && segments.size() != ids.size())) {
            throw new IllegalArgumentException(operation + ": expected as many ids, embeddings and segments but "
                    + "were " + ids.size() + ", " + embeddings.size() + " and "
                    + (segments == null ? "none" : segments.size()));
        }
        try {
            EmbeddingModel model = active(operation).model();
            List<VectorRecord> records = new ArrayList<>(Math.min(BATCH, ids.size()));
            for (int i = 0; i < ids.size(); i++) {
                TextSegment segment = segments == null ? null : segments.get(i);
                records.add(VectorRecord.of(tenant, ids.get(i), Segments.text(segment), Segments.metadata(segment),
                        model, embeddings.get(i).vector().clone()));
                if (records.size() == BATCH) {
                    check(operation, records.size(), store.upsert(records).written());
                    records.clear();
                }
            }
            if (!records.isEmpty()) {
                check(operation, records.size(), store.upsert(records).written());
            }
        } catch (ReadOnlyStoreException e) {
            throw readOnly(operation, e);
        } catch (IOException e) {
            throw new UncheckedIOException(store.location() + ": " + operation + " failed: " + e.getMessage(), e);
        }
    }

    /** Deletes the records of {@code ids}; ids that are not there are no error, as in LangChain4j's stores. */
    void delete(String operation, Collection<String> ids) {
        requireAllowed(operation);
        try {
            active(operation);
            List<String> batch = new ArrayList<>(Math.min(BATCH, ids.size()));
            for (String id : ids) {
                batch.add(id);
                if (batch.size() == BATCH) {
                    store.delete(tenant, batch);
                    batch.clear();
                }
            }
            if (!batch.isEmpty()) {
                store.delete(tenant, batch);
            }
        } catch (ReadOnlyStoreException e) {
            throw readOnly(operation, e);
        } catch (IOException e) {
            throw new UncheckedIOException(store.location() + ": " + operation + " failed: " + e.getMessage(), e);
        }
    }

    /** Deletes every record of the tenant, by the ids of its inventory. */
    void deleteAll(String operation) {
        requireAllowed(operation);
        List<String> ids = new ArrayList<>();
        try {
            if (store.activeGeneration().isEmpty()) {
                return;
            }
            try (Stream<InventoryEntry> inventory = store.inventory(tenant)) {
                for (Iterator<InventoryEntry> i = inventory.iterator(); i.hasNext(); ) {
                    ids.add(i.next().id());
                }
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(store.location() + ": " + operation + " failed: " + e.getMessage(), e);
        }
        delete(operation, ids);
    }

    /** Refuses {@code operation} unless writes were allowed. */
    void requireAllowed(String operation) {
        if (!allowed) {
            throw new UnsupportedFeatureException(store.location() + " (tenant " + tenant + "): " + operation
                    + " is not supported: this store is kept by nyla-sync's installs, which build each version "
                    + "from the published artifact, so a record written here would vanish at the next full "
                    + "install and the reconciler would delete it as stale. Publish the records instead; for a "
                    + "store that nyla-sync does not keep, build the NylaEmbeddingStore with allowWrites(true)");
        }
    }

    private Generation active(String operation) throws IOException {
        return store.activeGeneration().orElseThrow(() -> new StoreException(store.location() + ": cannot "
                + operation + ": no generation is active (writes change the active generation; install or "
                + "commit one first)"));
    }

    private void check(String operation, int expected, int written) throws StoreException {
        if (written != expected) {
            throw new StoreException(store.location() + " (tenant " + tenant + ")", operation + " records written",
                    expected, written);
        }
    }

    private UnsupportedFeatureException readOnly(String operation, ReadOnlyStoreException e) {
        UnsupportedFeatureException refused = new UnsupportedFeatureException(store.location() + " (tenant "
                + tenant + "): " + operation + " is not supported: the store is open read-only (" + e.getMessage()
                + ")");
        refused.initCause(e);
        return refused;
    }
}
