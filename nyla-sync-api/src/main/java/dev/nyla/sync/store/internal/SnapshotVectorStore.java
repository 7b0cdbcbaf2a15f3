package dev.nyla.sync.store.internal;

import dev.nyla.sync.DimensionMismatchException;
import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.RecordKeys;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.GenerationSpec;
import dev.nyla.sync.store.GenerationWriter;
import dev.nyla.sync.store.InventoryEntry;
import dev.nyla.sync.store.SearchHit;
import dev.nyla.sync.store.SearchRequest;
import dev.nyla.sync.store.StoreException;
import dev.nyla.sync.store.StoreStats;
import dev.nyla.sync.store.VectorStore;
import dev.nyla.sync.store.WriteResult;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The in-memory core shared by {@link MemoryVectorStore} and {@link FileVectorStore}: every kept generation
 * is an immutable snapshot in memory, searched exactly (brute force).
 *
 * <p>The active snapshot is published through a volatile field, so searches never lock and always see one
 * whole generation. Mutations copy the tenants they touch (copy-on-write), which is simple and safe but
 * costs time proportional to the tenant's size.
 *
 * <p>Durable subclasses override the {@code persist*} hooks. Each hook runs under the store's lock
 * <em>before</em> the in-memory change is published: when a hook throws, readers keep seeing the state
 * from before the call, matching what is on disk.
 */
abstract sealed class SnapshotVectorStore implements VectorStore permits MemoryVectorStore, FileVectorStore {

    private static final Comparator<ScoredRecord> BEST_FIRST =
            TopK.byScoreThenId(ScoredRecord::score, s -> s.record.id());

    private final String location;
    private final Clock clock;
    private final Object lock = new Object();
    /** Committed generations by id; guarded by {@link #lock}. */
    private final TreeMap<Long, Snapshot> committed = new TreeMap<>();
    /** Generations active before the current one, most recent first; guarded by {@link #lock}. */
    private final Deque<Long> previouslyActive = new ArrayDeque<>();
    private volatile Snapshot active;
    private long lastGenerationId;
    private volatile boolean closed;

    SnapshotVectorStore(String location, Clock clock) {
        this.location = location;
        this.clock = clock;
    }

    /** Puts a generation read back from storage in place; only while the subclass is opening. */
    final void restore(Generation generation, NavigableMap<String, NavigableMap<String, VectorRecord>> tenants) {
        synchronized (lock) {
            committed.put(generation.id(), new Snapshot(generation, tenants));
            lastGenerationId = Math.max(lastGenerationId, generation.id());
        }
    }

    /** Sets the active generation and the history read back from storage; only while the subclass is opening. */
    final void restoreActivation(long activeId, List<Long> previous) {
        synchronized (lock) {
            active = committed.get(activeId);
            previous.stream().filter(committed::containsKey).forEach(previouslyActive::addLast);
        }
    }

    /** Generation ids below this are taken (also by generations that were deleted or never finished). */
    final void reserveGenerationIds(long highestUsed) {
        synchronized (lock) {
            lastGenerationId = Math.max(lastGenerationId, highestUsed);
        }
    }

    /** Makes a committed generation durable. */
    void persistCommit(Generation generation, NavigableMap<String, NavigableMap<String, VectorRecord>> tenants)
            throws IOException {
    }

    /** Makes the active generation and the earlier active ones (most recent first) durable. */
    void persistActivation(long activeId, List<Long> previouslyActive) throws IOException {
    }

    /** Makes a changed active generation durable (mutable mode). */
    void persistMutation(Generation generation, NavigableMap<String, NavigableMap<String, VectorRecord>> tenants)
            throws IOException {
    }

    /** Removes a generation that is neither active nor in {@code previouslyActive} any more. */
    void persistDeletion(long generationId, long activeId, List<Long> previouslyActive) throws IOException {
    }

    /** Bytes used on disk by the kept generations; 0 when nothing is stored. */
    long bytesOnDisk() throws IOException {
        return 0;
    }

    /** Releases what the subclass holds; called once, under the lock. */
    void closeStorage() throws IOException {
    }

    /** Work that needs the active generation to stay in place while it starts, such as opening its file. */
    @FunctionalInterface
    interface ActiveAction<T> {
        T apply(Generation active) throws IOException;
    }

    /**
     * Runs {@code action} on the active generation under the store's lock, so that the generation is neither
     * replaced nor deleted while it runs (a subclass opens the generation's file there and reads it after).
     *
     * @throws StoreException when the store is closed or no generation is active
     */
    final <T> T onActive(String operation, ActiveAction<T> action) throws IOException {
        synchronized (lock) {
            return action.apply(requireActive(operation).generation);
        }
    }

    record Snapshot(Generation generation, NavigableMap<String, NavigableMap<String, VectorRecord>> tenants) {
        long size() {
            long n = 0;
            for (NavigableMap<String, VectorRecord> t : tenants.values()) {
                n += t.size();
            }
            return n;
        }
    }

    private record ScoredRecord(float score, VectorRecord record) {
    }

    @Override
    public String location() {
        return location;
    }

    @Override
    public Optional<Generation> activeGeneration() {
        Snapshot s = active;
        return s == null ? Optional.empty() : Optional.of(s.generation);
    }

    @Override
    public List<Generation> generations() {
        synchronized (lock) {
            List<Generation> out = new ArrayList<>();
            committed.descendingMap().values().forEach(s -> out.add(s.generation));
            return out;
        }
    }

    @Override
    public GenerationWriter newGeneration(GenerationSpec spec) throws IOException {
        ensureOpen();
        return new Writer(spec, new TreeMap<>(RecordKeys.ORDER));
    }

    @Override
    public GenerationWriter newGeneration(GenerationSpec spec, long baseGenerationId) throws IOException {
        Snapshot base;
        synchronized (lock) {
            ensureOpen();
            base = committed.get(baseGenerationId);
        }
        if (base == null) {
            throw new StoreException(location + ": base generation " + baseGenerationId + " does not exist");
        }
        return new Writer(spec, deepCopy(base.tenants));
    }

    @Override
    public void activate(long generationId) throws IOException {
        synchronized (lock) {
            ensureOpen();
            Snapshot next = committed.get(generationId);
            if (next == null) {
                throw new StoreException(location + ": cannot activate generation " + generationId
                        + ": it does not exist (kept: " + committed.keySet() + ")");
            }
            Snapshot current = active;
            if (current != null && current.generation.id() == generationId) {
                return;
            }
            List<Long> previous = new ArrayList<>(previouslyActive);
            if (current != null) {
                previous.remove(current.generation.id());
                previous.add(0, current.generation.id());
            }
            previous.remove(generationId);
            persistActivation(generationId, previous);
            previouslyActive.clear();
            previouslyActive.addAll(previous);
            active = next;
        }
    }

    @Override
    public Generation rollback() throws IOException {
        synchronized (lock) {
            ensureOpen();
            List<Long> remaining = new ArrayList<>(previouslyActive);
            while (!remaining.isEmpty()) {
                Snapshot previous = committed.get(remaining.remove(0));
                if (previous != null) {
                    persistActivation(previous.generation.id(), remaining);
                    previouslyActive.clear();
                    previouslyActive.addAll(remaining);
                    active = previous;
                    return previous.generation;
                }
            }
            throw new StoreException(location + ": cannot roll back: no earlier generation is kept");
        }
    }

    @Override
    public void deleteGeneration(long generationId) throws IOException {
        synchronized (lock) {
            ensureOpen();
            Snapshot current = active;
            if (current != null && current.generation.id() == generationId) {
                throw new StoreException(location + ": cannot delete generation " + generationId + ": it is active");
            }
            if (!committed.containsKey(generationId)) {
                throw new StoreException(location + ": cannot delete generation " + generationId + ": it does not exist");
            }
            List<Long> previous = new ArrayList<>(previouslyActive);
            previous.remove(generationId);
            persistDeletion(generationId, current == null ? 0 : current.generation.id(), previous);
            committed.remove(generationId);
            previouslyActive.remove(generationId);
        }
    }

    @Override
    public List<SearchHit> search(SearchRequest request) throws IOException {
        Snapshot s = active;
        if (s == null) {
            return List.of();
        }
        EmbeddingModel model = s.generation.model();
        if (request.vector().length != model.dimension()) {
            throw new DimensionMismatchException("query for " + location, model.dimension(), request.vector().length);
        }
        NavigableMap<String, VectorRecord> records = s.tenants.get(request.tenant());
        if (records == null) {
            return List.of();
        }
        TopK<ScoredRecord> top = new TopK<>(request.k(), BEST_FIRST);
        for (VectorRecord r : records.values()) {
            if (!r.metadata().entrySet().containsAll(request.filter().entrySet())) {
                continue;
            }
            top.offer(new ScoredRecord(model.similarity().score(request.vector(), r.vector()), r));
        }
        List<ScoredRecord> best = top.best();
        List<SearchHit> hits = new ArrayList<>(best.size());
        for (ScoredRecord sr : best) {
            VectorRecord r = sr.record;
            hits.add(new SearchHit(r.tenant(), r.id(), sr.score, r.text(), r.metadata()));
        }
        return hits;
    }

    @Override
    public Stream<String> tenants() {
        Snapshot s = active;
        return s == null ? Stream.empty() : s.tenants.keySet().stream();
    }

    @Override
    public Stream<InventoryEntry> inventory(String tenant) {
        Snapshot s = active;
        if (s == null || !s.tenants.containsKey(tenant)) {
            return Stream.empty();
        }
        String fingerprint = s.generation.model().fingerprint();
        return s.tenants.get(tenant).values().stream()
                .map(r -> new InventoryEntry(r.id(), r.contentHash(), fingerprint));
    }

    @Override
    public WriteResult upsert(List<VectorRecord> records) throws IOException {
        synchronized (lock) {
            Snapshot current = requireActive("upsert");
            int dimension = current.generation.model().dimension();
            for (VectorRecord r : records) {
                checkDimension(r, dimension);
            }
            NavigableMap<String, NavigableMap<String, VectorRecord>> tenants = new TreeMap<>(current.tenants);
            int inserted = 0, updated = 0;
            for (VectorRecord r : records) {
                NavigableMap<String, VectorRecord> t = writableTenant(tenants, current.tenants, r.tenant());
                if (t.put(r.id(), r) == null) {
                    inserted++;
                } else {
                    updated++;
                }
            }
            persistMutation(current.generation, tenants);
            publish(new Snapshot(current.generation, tenants));
            return WriteResult.upserted(inserted, updated);
        }
    }

    @Override
    public WriteResult delete(String tenant, Collection<String> ids) throws IOException {
        synchronized (lock) {
            Snapshot current = requireActive("delete");
            NavigableMap<String, NavigableMap<String, VectorRecord>> tenants = new TreeMap<>(current.tenants);
            int deleted = 0, notFound = 0;
            if (!current.tenants.containsKey(tenant)) {
                return WriteResult.deleted(0, ids.size());
            }
            NavigableMap<String, VectorRecord> t = writableTenant(tenants, current.tenants, tenant);
            for (String id : ids) {
                if (t.remove(id) != null) {
                    deleted++;
                } else {
                    notFound++;
                }
            }
            if (t.isEmpty()) {
                tenants.remove(tenant);
            }
            persistMutation(current.generation, tenants);
            publish(new Snapshot(current.generation, tenants));
            return WriteResult.deleted(deleted, notFound);
        }
    }

    @Override
    public StoreStats stats() throws IOException {
        synchronized (lock) {
            Snapshot s = active;
            return s == null
                    ? new StoreStats(0, 0, 0, committed.size(), bytesOnDisk())
                    : new StoreStats(s.generation.id(), s.size(), s.tenants.size(), committed.size(), bytesOnDisk());
        }
    }

    @Override
    public void close() throws IOException {
        synchronized (lock) {
            if (!closed) {
                closed = true;
                closeStorage();
            }
        }
    }

    private void publish(Snapshot next) {
        committed.put(next.generation.id(), next);
        active = next;
    }

    private Snapshot requireActive(String operation) throws StoreException {
        ensureOpen();
        Snapshot s = active;
        if (s == null) {
            throw new StoreException(location + ": cannot " + operation
                    + ": no generation is active; install or activate one first");
        }
        return s;
    }

    private void ensureOpen() throws StoreException {
        if (closed) {
            throw new StoreException(location + ": store is closed");
        }
    }

    private static NavigableMap<String, VectorRecord> writableTenant(
            NavigableMap<String, NavigableMap<String, VectorRecord>> tenants,
            NavigableMap<String, NavigableMap<String, VectorRecord>> original, String tenant) {
        NavigableMap<String, VectorRecord> t = tenants.get(tenant);
        if (t == null || t == original.get(tenant)) {
            t = t == null ? new TreeMap<>(RecordKeys.ORDER) : new TreeMap<>(t);
            tenants.put(tenant, t);
        }
        return t;
    }

    private static NavigableMap<String, NavigableMap<String, VectorRecord>> deepCopy(
            NavigableMap<String, NavigableMap<String, VectorRecord>> tenants) {
        NavigableMap<String, NavigableMap<String, VectorRecord>> copy = new TreeMap<>(RecordKeys.ORDER);
        tenants.forEach((k, v) -> copy.put(k, new TreeMap<>(v)));
        return copy;
    }

    private static void checkDimension(VectorRecord r, int dimension) throws DimensionMismatchException {
        if (r.vector().length != dimension) {
            throw new DimensionMismatchException("record " + r.tenant() + "/" + r.id(), dimension, r.vector().length);
        }
    }

    private final class Writer implements GenerationWriter {
        private final GenerationSpec spec;
        private NavigableMap<String, NavigableMap<String, VectorRecord>> tenants;
        private long count;
        private boolean finished;
        private String lastTenant;
        private String lastId;

        Writer(GenerationSpec spec, NavigableMap<String, NavigableMap<String, VectorRecord>> start) {
            this.spec = spec;
            this.tenants = start;
            start.values().forEach(t -> count += t.size());
        }

        @Override
        public void add(VectorRecord record) throws IOException {
            ensureWritable();
            checkDimension(record, spec.model().dimension());
            checkOrder(record.tenant(), record.id());
            if (tenants.computeIfAbsent(record.tenant(), t -> new TreeMap<>(RecordKeys.ORDER))
                    .put(record.id(), record) == null) {
                count++;
            }
        }

        @Override
        public void delete(String tenant, String id) throws IOException {
            ensureWritable();
            checkOrder(tenant, id);
            NavigableMap<String, VectorRecord> t = tenants.get(tenant);
            if (t != null && t.remove(id) != null) {
                count--;
                if (t.isEmpty()) {
                    tenants.remove(tenant);
                }
            }
        }

        @Override
        public long recordCount() {
            return count;
        }

        @Override
        public Generation commit() throws IOException {
            ensureWritable();
            synchronized (lock) {
                ensureOpen();
                finished = true;
                Generation g = new Generation(++lastGenerationId, spec.version(), spec.label(), spec.model(), count,
                        clock.instant(), spec.attributes());
                NavigableMap<String, NavigableMap<String, VectorRecord>> written = tenants;
                tenants = null;
                persistCommit(g, written);
                committed.put(g.id(), new Snapshot(g, written));
                return g;
            }
        }

        @Override
        public void abort() {
            finished = true;
            tenants = null;
        }

        @Override
        public void close() {
            if (!finished) {
                abort();
            }
        }

        private void checkOrder(String tenant, String id) {
            if (lastTenant != null && RecordKeys.compare(lastTenant, lastId, tenant, id) >= 0) {
                throw new IllegalArgumentException(location + ": generation writer: keys must be strictly ascending: "
                        + tenant + "/" + id + " after " + lastTenant + "/" + lastId);
            }
            lastTenant = tenant;
            lastId = id;
        }

        private void ensureWritable() throws StoreException {
            if (finished) {
                throw new StoreException(location + ": generation writer is already committed or aborted");
            }
        }
    }
}
