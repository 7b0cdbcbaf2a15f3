package dev.nyla.sync.reconcile;

import dev.nyla.sync.RecordKeys;
import dev.nyla.sync.SourceRecord;
import dev.nyla.sync.reconcile.ReconcileListener.Phase;
import dev.nyla.sync.store.InventoryEntry;
import dev.nyla.sync.store.VectorStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The drift of one tenant: the source's records and the store's inventory, both sorted by id, merged in one
 * streaming pass. Ids the store lacks are missing, ids the source no longer has are stale, ids whose content
 * hash differs are changed, ids embedded by another model are a model mismatch. Memory does not grow with
 * the tenant: only samples of the ids are kept, and the lists a repair needs go to {@link Spill}s.
 */
final class DriftScan {
    private static final long PROGRESS_EVERY = 10_000;

    private final VectorStore store;
    private final SourceOfTruth source;
    private final int idLimit;
    private final ReconcileEvents events;

    DriftScan(VectorStore store, SourceOfTruth source, int idLimit, ReconcileEvents events) {
        this.store = store;
        this.source = source;
        this.idLimit = idLimit;
        this.events = events;
    }

    /**
     * Merges the source's records with the store's inventory. When spills are given, the records to embed
     * (missing, changed, mismatched; every source record with {@code all}) and the stale ids are appended to
     * them in id order, so that the repair needs no second read of the source: the source's cursor is open
     * only while this merge reads, never while the embedder works.
     *
     * @param fingerprint the model fingerprint stored records should carry; empty when no model is known
     */
    Drift diff(String tenant, Optional<String> fingerprint, Spill<SourceRecord> toEmbed, Spill<String> stale,
               boolean all, Phase phase) throws IOException {
        long start = System.nanoTime();
        long missing = 0;
        long staleCount = 0;
        long changed = 0;
        long mismatch = 0;
        List<String> missingIds = new ArrayList<>();
        List<String> staleIds = new ArrayList<>();
        List<String> changedIds = new ArrayList<>();
        List<String> mismatchIds = new ArrayList<>();
        long steps = 0;
        Ordered<SourceRecord> src;
        Ordered<InventoryEntry> inv;
        try (Stream<SourceRecord> s = sourceRecords(tenant); Stream<InventoryEntry> i = store.inventory(tenant)) {
            src = Ordered.source(s.iterator(), SourceRecord::id, sourceWhat(tenant));
            inv = Ordered.store(i.iterator(), InventoryEntry::id, store.location() + ": inventory of tenant '" + tenant + "'");
            SourceRecord r = nextOf(src, tenant);
            InventoryEntry e = inv.next();
            while (r != null || e != null) {
                int c = r == null ? 1 : e == null ? -1 : RecordKeys.compare(r.id(), e.id());
                if (c < 0) {
                    missing++;
                    sample(missingIds, r.id());
                    add(toEmbed, r);
                    r = nextOf(src, tenant);
                } else if (c > 0) {
                    staleCount++;
                    sample(staleIds, e.id());
                    add(stale, e.id());
                    e = inv.next();
                } else {
                    // No current model is known only when the store had no active generation as the check
                    // began; one activated since is compared with its own records' model.
                    String fp = fingerprint.orElse(e.modelFingerprint());
                    boolean drifted = true;
                    if (!e.modelFingerprint().equals(fp)) {
                        mismatch++;
                        sample(mismatchIds, r.id());
                    } else if (!e.contentHash().equals(r.contentHash(fp))) {
                        changed++;
                        sample(changedIds, r.id());
                    } else {
                        drifted = false;
                    }
                    if (drifted || all) {
                        add(toEmbed, r);
                    }
                    r = nextOf(src, tenant);
                    e = inv.next();
                }
                long read = src.count() + inv.count();
                if (++steps % PROGRESS_EVERY == 0) {
                    events.fire(l -> l.progress(tenant, phase, read, -1));
                }
            }
        } catch (UncheckedIOException e) {
            // Thrown by a stream's close (a cursor that failed to close).
            throw e.getCause();
        }
        return new Drift(tenant, src.count(), inv.count(), missing, staleCount, changed, mismatch, missingIds,
                staleIds, changedIds, mismatchIds, Duration.ofNanos(System.nanoTime() - start));
    }

    private Stream<SourceRecord> sourceRecords(String tenant) throws IOException {
        return openSource(sourceWhat(tenant), () -> source.records(tenant));
    }

    /** One of the source's streams, opened. */
    interface SourceCall<T> {
        Stream<T> open() throws IOException;
    }

    /** Opens one of the source's streams; any failure to open it is a {@link SourceException} naming {@code what}. */
    static <T> Stream<T> openSource(String what, SourceCall<T> call) throws IOException {
        try {
            return call.open();
        } catch (SourceException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new SourceException(what + ": " + e.getMessage(), e);
        }
    }

    private String sourceWhat(String tenant) {
        return "source " + source.describe() + ": records of tenant '" + tenant + "'";
    }

    private SourceRecord nextOf(Ordered<SourceRecord> src, String tenant) throws IOException {
        SourceRecord r = src.next();
        if (r != null && !r.tenant().equals(tenant)) {
            throw new SourceException(sourceWhat(tenant), "tenant of record '" + r.id() + "'", tenant, r.tenant());
        }
        return r;
    }

    private void sample(List<String> ids, String id) {
        if (ids.size() < idLimit) {
            ids.add(id);
        }
    }

    private static <T> void add(Spill<T> spill, T value) throws IOException {
        if (spill != null) {
            spill.add(value);
        }
    }
}
