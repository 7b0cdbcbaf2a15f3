package dev.nyla.sync.reconcile;

import dev.nyla.sync.RecordKeys;
import dev.nyla.sync.store.VectorStore;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A check or sync of every tenant of the source and of the store, as {@link Reconciler#syncAll(boolean)}
 * describes it: the tenants of both sides merged in order into a {@link Spill}, then each one checked or
 * synced by the reconciler, a bounded number at once; a failing tenant counts as failed and the run goes on.
 */
final class AllTenantsRun {
    private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);

    private final Reconciler reconciler;
    private final VectorStore store;
    private final SourceOfTruth source;
    private final ReconcileSettings settings;
    private final ReconcileEvents events;

    AllTenantsRun(Reconciler reconciler, ReconcileSettings settings, ReconcileEvents events) {
        this.reconciler = reconciler;
        this.store = reconciler.store();
        this.source = reconciler.source();
        this.settings = settings;
        this.events = events;
    }

    /** Checks ({@code sync} false) or syncs every tenant; {@code force} as for one tenant's sync. */
    ReconcileSummary run(boolean sync, boolean force) throws IOException {
        long start = System.nanoTime();
        Totals totals = new Totals();
        int concurrency = settings.concurrency();
        try (Spill<String> tenants = settings.spill(Spill.STRINGS)) {
            collectTenants(tenants);
            ExecutorService pool = concurrency > 1 ? Executors.newFixedThreadPool(concurrency, threads()) : null;
            Semaphore slots = new Semaphore(concurrency);
            try {
                Iterator<String> it = tenants.iterator();
                while (it.hasNext()) {
                    String tenant = it.next();
                    if (pool == null) {
                        runTenant(tenant, sync, force, totals);
                    } else {
                        slots.acquire();
                        pool.execute(() -> {
                            try {
                                runTenant(tenant, sync, force, totals);
                            } finally {
                                slots.release();
                            }
                        });
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while reconciling " + store.location());
            } catch (UncheckedIOException e) {
                throw e.getCause();
            } finally {
                if (pool != null) {
                    pool.shutdown();
                    awaitQuietly(pool);
                }
            }
        }
        return totals.summary(Duration.ofNanos(System.nanoTime() - start));
    }

    /**
     * Merges the source's tenants with the store's into {@code out}, in order and without duplicates. The
     * list is read in full first, so that neither side holds a cursor open for the hours a run may take.
     */
    private void collectTenants(Spill<String> out) throws IOException {
        String what = "source " + source.describe() + ": tenants";
        try (Stream<String> fromSource = DriftScan.openSource(what, source::tenants);
             Stream<String> fromStore = store.tenants()) {
            Ordered<String> a = Ordered.source(fromSource.iterator(), t -> t, what);
            Ordered<String> b = Ordered.store(fromStore.iterator(), t -> t, store.location() + ": tenants");
            String x = a.next();
            String y = b.next();
            while (x != null || y != null) {
                int c = x == null ? 1 : y == null ? -1 : RecordKeys.compare(x, y);
                out.add(c <= 0 ? x : y);
                if (c <= 0) {
                    x = a.next();
                }
                if (c >= 0) {
                    y = b.next();
                }
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private void runTenant(String tenant, boolean sync, boolean force, Totals totals) {
        try {
            if (sync) {
                totals.add(reconciler.sync(tenant, force));
            } else {
                totals.add(reconciler.check(tenant));
            }
        } catch (Exception e) {
            // A check that failed, or a sync that could not start (a tenant name no store can hold, from a
            // source): this tenant fails, the run goes on.
            LOG.warn("{} of tenant '{}' in {} failed: {}", sync ? "sync" : "check", tenant, store.location(),
                    e.getMessage());
            totals.checked.incrementAndGet();
            totals.fail(tenant, e);
            events.fire(l -> l.tenantFailed(tenant, e));
        }
    }

    private static void awaitQuietly(ExecutorService pool) {
        boolean interrupted = false;
        while (true) {
            try {
                if (pool.awaitTermination(1, TimeUnit.MINUTES)) {
                    break;
                }
            } catch (InterruptedException e) {
                interrupted = true;
                pool.shutdownNow();
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static ThreadFactory threads() {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, "nyla-reconcile-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** The counts of a run over many tenants, added to from worker threads. */
    private final class Totals {
        final AtomicLong checked = new AtomicLong();
        final AtomicLong inSync = new AtomicLong();
        final AtomicLong outOfSync = new AtomicLong();
        final AtomicLong synced = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        final List<ReconcileSummary.TenantFailure> failures = new ArrayList<>();

        void add(Drift d) {
            checked.incrementAndGet();
            (d.inSync() ? inSync : outOfSync).incrementAndGet();
        }

        void add(SyncReport r) {
            checked.incrementAndGet();
            if (r.before().isPresent() && !r.before().get().inSync()) {
                outOfSync.incrementAndGet();
            }
            switch (r.outcome()) {
                case IN_SYNC -> inSync.incrementAndGet();
                case SYNCED -> synced.incrementAndGet();
                case FAILED -> fail(r.tenant(), r.failure().orElseThrow());
            }
        }

        void fail(String tenant, Exception e) {
            failed.incrementAndGet();
            synchronized (failures) {
                if (failures.size() < settings.idLimit()) {
                    failures.add(new ReconcileSummary.TenantFailure(tenant, e));
                }
            }
        }

        ReconcileSummary summary(Duration took) {
            synchronized (failures) {
                return new ReconcileSummary(checked.get(), inSync.get(), outOfSync.get(), synced.get(), failed.get(),
                        failures, took);
            }
        }
    }
}
