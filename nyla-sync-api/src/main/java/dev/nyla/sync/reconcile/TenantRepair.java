package dev.nyla.sync.reconcile;

import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.SourceRecord;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.embed.Embedder;
import dev.nyla.sync.embed.EmbeddingException;
import dev.nyla.sync.reconcile.ReconcileListener.Phase;
import dev.nyla.sync.reconcile.SyncReport.Outcome;
import dev.nyla.sync.reconcile.SyncReport.Timings;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.GenerationSpec;
import dev.nyla.sync.store.GenerationWriter;
import dev.nyla.sync.store.StoreException;
import dev.nyla.sync.store.VectorStore;
import dev.nyla.sync.store.WriteResult;
import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One sync of one tenant, as {@link Reconciler#sync(String, boolean)} describes it: under the tenant's
 * {@link RepairLocks}, a {@link DriftScan} that collects what to embed and what is stale, the embedding and
 * writing in batches, the deletion of the stale ids after, and a verifying scan, repeated up to the bound
 * of rounds while drift remains. Not shared between threads.
 */
final class TenantRepair {
    private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);

    private final String tenant;
    private final Embedder embedder;
    private final EmbeddingModel model;
    private final VectorStore store;
    private final DriftScan scan;
    private final RepairLocks locks;
    private final ReconcileSettings settings;
    private final ReconcileEvents events;
    private final List<VectorRecord> pending = new ArrayList<>();
    private Drift before;
    private Drift after;
    private long embedded;
    private long inserted;
    private long updated;
    private long deleted;
    private long notFound;
    private int rounds;
    private long checkNanos;
    private long embedNanos;
    private long writeNanos;
    private long deleteNanos;
    private long verifyNanos;

    TenantRepair(String tenant, Embedder embedder, VectorStore store, DriftScan scan, RepairLocks locks,
                 ReconcileSettings settings, ReconcileEvents events) {
        this.tenant = tenant;
        this.embedder = embedder;
        this.model = embedder.model();
        this.store = store;
        this.scan = scan;
        this.locks = locks;
        this.settings = settings;
        this.events = events;
    }

    /** Runs the repair under the tenant's locks; never throws, the report holds a failure. */
    SyncReport execute(boolean force) {
        long start = System.nanoTime();
        Exception failure = null;
        Outcome outcome = Outcome.FAILED;
        Closeable lock = null;
        try {
            lock = locks.acquire(tenant);
            outcome = repairUnderLock(force);
        } catch (Exception e) {
            failure = e;
            if (e instanceof InterruptedIOException) {
                Thread.currentThread().interrupt();
            }
        } finally {
            if (lock != null) {
                try {
                    lock.close();
                } catch (IOException | RuntimeException e) {
                    // The repair is complete and verified either way; a lock that failed to release is
                    // released with its session (PostgreSQL) or process.
                    if (failure != null) {
                        failure.addSuppressed(e);
                    } else {
                        LOG.warn("tenant '{}' in {}: releasing the repair lock failed: {}", tenant,
                                store.location(), e.getMessage());
                    }
                }
            }
        }
        if (outcome == Outcome.FAILED && failure == null) {
            failure = new ReconcileException(store.location() + ": tenant '" + tenant + "'",
                    "drift after " + rounds + " repair round(s) (was the source edited during the sync?)",
                    "none", describe(after));
        }
        Timings timings = new Timings(Duration.ofNanos(checkNanos), Duration.ofNanos(embedNanos),
                Duration.ofNanos(writeNanos), Duration.ofNanos(deleteNanos), Duration.ofNanos(verifyNanos),
                Duration.ofNanos(System.nanoTime() - start));
        return new SyncReport(tenant, outcome, Optional.ofNullable(before), Optional.ofNullable(after), embedded,
                inserted, updated, deleted, notFound, rounds, timings, Optional.ofNullable(failure));
    }

    private Outcome repairUnderLock(boolean force) throws IOException {
        ensureActiveGeneration();
        Spill<SourceRecord> toEmbed = settings.spill(Spill.RECORDS);
        Spill<String> stale = settings.spill(Spill.STRINGS);
        try {
            long t = System.nanoTime();
            before = scan.diff(tenant, Optional.of(model.fingerprint()), toEmbed, stale, force, Phase.CHECK);
            checkNanos = System.nanoTime() - t;
            Drift first = before;
            events.fire(l -> l.checked(first));
            if (before.inSync() && !force) {
                return Outcome.IN_SYNC;
            }
            while (true) {
                rounds++;
                embedAndWrite(toEmbed);
                deleteStale(stale);
                closeBoth(toEmbed, stale);
                toEmbed = settings.spill(Spill.RECORDS);
                stale = settings.spill(Spill.STRINGS);
                t = System.nanoTime();
                after = scan.diff(tenant, Optional.of(model.fingerprint()), toEmbed, stale, false, Phase.VERIFY);
                verifyNanos += System.nanoTime() - t;
                Drift verified = after;
                events.fire(l -> l.checked(verified));
                if (after.inSync()) {
                    return Outcome.SYNCED;
                }
                if (rounds >= settings.maxRounds()) {
                    return Outcome.FAILED;
                }
                LOG.info("tenant '{}' in {}: drift remains after repair round {} ({}); repairing again",
                        tenant, store.location(), rounds, describe(after));
            }
        } finally {
            closeBoth(toEmbed, stale);
        }
    }

    private static void closeBoth(Closeable a, Closeable b) throws IOException {
        try {
            a.close();
        } finally {
            b.close();
        }
    }

    /** A store without an active generation gets an empty one for the embedder's model, so that it can be written. */
    @SuppressWarnings("try") // the lock is held for the block's extent, never read
    private void ensureActiveGeneration() throws IOException {
        Optional<Generation> active = store.activeGeneration();
        if (active.isEmpty()) {
            try (Closeable storeLock = locks.acquire(RepairLocks.STORE)) {
                active = store.activeGeneration();
                if (active.isEmpty()) {
                    Generation g;
                    try (GenerationWriter w = store.newGeneration(GenerationSpec.of(0, "reconciled", model))) {
                        g = w.commit();
                    }
                    store.activate(g.id());
                    LOG.info("{}: had no active generation; created empty generation {} for model {} to reconcile into",
                            store.location(), g.id(), model.id());
                    active = Optional.of(g);
                }
            }
        }
        EmbeddingModel storeModel = active.get().model();
        if (!storeModel.isCompatibleWith(model)) {
            throw new ReconcileException(store.location(),
                    "embedding model of the active generation (the embedder's model must match it; install or"
                            + " publish a generation built with the new model instead of reconciling)",
                    model.id() + " " + model.fingerprint(), storeModel.id() + " " + storeModel.fingerprint());
        }
    }

    /** Embeds the records the check collected, in batches, writing them as batches fill. */
    private void embedAndWrite(Spill<SourceRecord> records) throws IOException {
        long total = records.size();
        List<SourceRecord> batch = new ArrayList<>(settings.embedBatchSize());
        try {
            Iterator<SourceRecord> it = records.iterator();
            while (it.hasNext()) {
                batch.add(it.next());
                if (batch.size() == settings.embedBatchSize() || !it.hasNext()) {
                    try {
                        embedBatch(batch, total);
                    } catch (IOException | RuntimeException e) {
                        // Records embedded before the failure are good: write them, so the next sync need not
                        // embed them again. Those not reached keep their old vectors; nothing stale is deleted.
                        try {
                            flushWrites(total, true);
                        } catch (IOException | RuntimeException x) {
                            e.addSuppressed(x);
                        }
                        throw e;
                    }
                    batch.clear();
                    flushWrites(total, false);
                }
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        flushWrites(total, true);
    }

    /** Embeds one batch and queues its records; a bad vector fails the batch before any of it is queued. */
    private void embedBatch(List<SourceRecord> batch, long total) throws IOException {
        List<String> texts = new ArrayList<>(batch.size());
        for (SourceRecord r : batch) {
            texts.add(r.text());
        }
        long t = System.nanoTime();
        List<float[]> vectors;
        try {
            vectors = embedder.embed(texts);
        } catch (EmbeddingException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new EmbeddingException("embedding " + batch.size() + " records of tenant '" + tenant
                    + "' from '" + batch.get(0).id() + "': " + e.getMessage(), e);
        }
        embedNanos += System.nanoTime() - t;
        if (vectors == null || vectors.size() != batch.size()) {
            throw new ReconcileException("embedder " + model.id(), "vectors for a batch of tenant '" + tenant + "'",
                    batch.size(), vectors == null ? "null" : vectors.size());
        }
        List<VectorRecord> embeddedBatch = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            SourceRecord r = batch.get(i);
            float[] v = vectors.get(i);
            if (v == null || v.length != model.dimension()) {
                throw new ReconcileException("embedder " + model.id() + ": vector of record " + tenant + "/" + r.id(),
                        "dimension", model.dimension(), v == null ? "null" : v.length);
            }
            try {
                embeddedBatch.add(r.toVectorRecord(v, model.fingerprint()));
            } catch (IllegalArgumentException e) {
                throw new ReconcileException("embedder " + model.id() + ": " + e.getMessage(), e);
            }
        }
        pending.addAll(embeddedBatch);
        embedded += batch.size();
    }

    /** Writes the pending records in batches of the write batch size; with {@code all}, the remainder too. */
    private void flushWrites(long total, boolean all) throws IOException {
        while (pending.size() >= settings.writeBatchSize() || all && !pending.isEmpty()) {
            List<VectorRecord> batch = pending.subList(0, Math.min(settings.writeBatchSize(), pending.size()));
            long t = System.nanoTime();
            WriteResult result = store.upsert(List.copyOf(batch));
            writeNanos += System.nanoTime() - t;
            if (result.written() != batch.size() || result.deleted() != 0 || result.notFound() != 0) {
                throw new StoreException(store.location() + ": upsert into tenant '" + tenant + "'",
                        "records written", batch.size(), result);
            }
            inserted += result.inserted();
            updated += result.updated();
            batch.clear();
            long done = inserted + updated;
            events.fire(l -> l.progress(tenant, Phase.EMBED, done, total));
        }
    }

    private void deleteStale(Spill<String> stale) throws IOException {
        long total = stale.size();
        long done = 0;
        Iterator<String> ids = stale.iterator();
        List<String> batch = new ArrayList<>(settings.deleteBatchSize());
        while (ids.hasNext()) {
            batch.add(ids.next());
            if (batch.size() == settings.deleteBatchSize() || !ids.hasNext()) {
                long t = System.nanoTime();
                WriteResult result = store.delete(tenant, batch);
                deleteNanos += System.nanoTime() - t;
                if (result.deleted() + result.notFound() != batch.size() || result.written() != 0) {
                    throw new StoreException(store.location() + ": delete from tenant '" + tenant + "'",
                            "records deleted or not found", batch.size(), result);
                }
                deleted += result.deleted();
                notFound += result.notFound();
                done += batch.size();
                long d = done;
                events.fire(l -> l.progress(tenant, Phase.DELETE, d, total));
                batch.clear();
            }
        }
    }

    private static String describe(Drift d) {
        if (d == null) {
            return "unknown";
        }
        return d.missing() + " missing " + d.missingIds() + ", " + d.stale() + " stale " + d.staleIds() + ", "
                + d.changed() + " changed " + d.changedIds() + ", " + d.modelMismatch() + " model mismatch";
    }
}
