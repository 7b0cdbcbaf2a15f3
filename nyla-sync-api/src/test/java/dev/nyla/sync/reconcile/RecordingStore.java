package dev.nyla.sync.reconcile;

import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.store.ForwardingVectorStore;
import dev.nyla.sync.store.InventoryEntry;
import dev.nyla.sync.store.StoreException;
import dev.nyla.sync.store.VectorStore;
import dev.nyla.sync.store.WriteResult;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.stream.Stream;

/**
 * A store that passes every call to a real one and, after each mutation, counts what readers of one tenant
 * now see: how a test shows that a repair never left the tenant emptier than it should be.
 */
final class RecordingStore extends ForwardingVectorStore {
    private final String tenant;
    private final List<String> calls = new ArrayList<>();
    private long minimum = Long.MAX_VALUE;
    private int failUpsert;
    private int lieOnUpsert;
    private int lieOnDelete;
    private int upserts;
    private int deletes;

    RecordingStore(VectorStore delegate, String tenant) {
        super(delegate);
        this.tenant = tenant;
    }

    /** Makes the n-th upsert throw (after nothing was written). */
    synchronized RecordingStore failUpsert(int n) {
        failUpsert = n;
        return this;
    }

    /** Makes the n-th upsert write its records but report one fewer, as a store that lost one would. */
    synchronized RecordingStore lieOnUpsert(int n) {
        lieOnUpsert = n;
        return this;
    }

    /** Makes the n-th delete delete its ids but report one fewer, neither deleted nor not found. */
    synchronized RecordingStore lieOnDelete(int n) {
        lieOnDelete = n;
        return this;
    }

    synchronized List<String> calls() {
        return List.copyOf(calls);
    }

    synchronized long minimumCount() {
        return minimum;
    }

    private synchronized void after(String call) throws IOException {
        calls.add(call);
        try (Stream<InventoryEntry> s = delegate.inventory(tenant)) {
            minimum = Math.min(minimum, s.count());
        }
    }

    @Override
    public WriteResult upsert(List<VectorRecord> records) throws IOException {
        int n;
        synchronized (this) {
            n = ++upserts;
        }
        if (n == failUpsert) {
            throw new StoreException("connection reset during upsert " + n);
        }
        WriteResult r = delegate.upsert(records);
        after("upsert");
        if (n == lieOnUpsert) {
            return r.updated() > 0 ? WriteResult.upserted(r.inserted(), r.updated() - 1)
                    : WriteResult.upserted(r.inserted() - 1, 0);
        }
        return r;
    }

    @Override
    public WriteResult delete(String t, Collection<String> ids) throws IOException {
        int n;
        synchronized (this) {
            n = ++deletes;
        }
        WriteResult r = delegate.delete(t, ids);
        after("delete");
        return n == lieOnDelete ? WriteResult.deleted(r.deleted() - 1, r.notFound()) : r;
    }
}
