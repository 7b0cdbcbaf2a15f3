package dev.nyla.sync.reconcile;

import dev.nyla.sync.ContentHash;
import dev.nyla.sync.SourceRecord;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.demo.HashingEmbedder;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.GenerationSpec;
import dev.nyla.sync.store.GenerationWriter;
import dev.nyla.sync.store.InventoryEntry;
import dev.nyla.sync.store.SearchHit;
import dev.nyla.sync.store.SearchRequest;
import dev.nyla.sync.store.StoreStats;
import dev.nyla.sync.store.VectorStore;
import dev.nyla.sync.store.WriteResult;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * Child JVM of {@link BoundedCheckTest}: checks one tenant of {@code n} ids whose source and store inventory
 * are generated on the fly (neither side holds them), so the heap measures the reconciler alone. Id i is
 * stale when i % 100 == 0 (store only), missing when i % 100 == 1 (source only), changed when i % 1000 == 2.
 */
public final class BoundedCheckMain {
    private BoundedCheckMain() {
    }

    public static void main(String[] args) throws Exception {
        int n = Integer.parseInt(args[0]);
        HashingEmbedder embedder = new HashingEmbedder(16);
        String fp = embedder.model().fingerprint();
        SourceOfTruth source = new SourceOfTruth() {
            public String describe() {
                return "generated";
            }

            public Stream<String> tenants() {
                return Stream.of("t");
            }

            public Stream<SourceRecord> records(String tenant) {
                return IntStream.range(0, n).filter(i -> i % 100 != 0)
                        .mapToObj(i -> new SourceRecord("t", id(i), "text " + i, Map.of()));
            }
        };
        VectorStore store = new InventoryOnlyStore(n, fp);
        Drift d = Reconciler.builder().store(store).source(source).embedder(embedder).build().check("t");
        System.out.println("source=" + d.sourceCount() + " store=" + d.storeCount() + " missing=" + d.missing()
                + " stale=" + d.stale() + " changed=" + d.changed() + " mismatch=" + d.modelMismatch()
                + " firstMissing=" + d.missingIds().get(0) + " maxHeapMiB=" + Runtime.getRuntime().maxMemory() / (1 << 20));
    }

    static String id(int i) {
        return String.format("id-%07d", i);
    }

    /** Streams a generated inventory; nothing else of a store is needed by a check. */
    private record InventoryOnlyStore(int n, String fp) implements VectorStore {
        public Stream<InventoryEntry> inventory(String tenant) {
            return IntStream.range(0, n).filter(i -> i % 100 != 1).mapToObj(i -> new InventoryEntry(id(i),
                    ContentHash.of(i % 1000 == 2 ? "old text " + i : "text " + i, Map.of(), fp), fp));
        }

        public String location() {
            return "generated:";
        }

        public Optional<Generation> activeGeneration() {
            throw new UnsupportedOperationException();
        }

        public List<Generation> generations() {
            throw new UnsupportedOperationException();
        }

        public GenerationWriter newGeneration(GenerationSpec spec) {
            throw new UnsupportedOperationException();
        }

        public GenerationWriter newGeneration(GenerationSpec spec, long base) {
            throw new UnsupportedOperationException();
        }

        public void activate(long id) {
            throw new UnsupportedOperationException();
        }

        public Generation rollback() {
            throw new UnsupportedOperationException();
        }

        public void deleteGeneration(long id) {
            throw new UnsupportedOperationException();
        }

        public List<SearchHit> search(SearchRequest request) {
            throw new UnsupportedOperationException();
        }

        public Stream<String> tenants() {
            return Stream.of("t");
        }

        public WriteResult upsert(List<VectorRecord> records) {
            throw new UnsupportedOperationException();
        }

        public WriteResult delete(String tenant, Collection<String> ids) {
            throw new UnsupportedOperationException();
        }

        public StoreStats stats() {
            throw new UnsupportedOperationException();
        }

        public void close() {
        }
    }
}
