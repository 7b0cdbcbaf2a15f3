package dev.nyla.sync.reconcile;

import dev.nyla.sync.internal.BuilderOptions;
import dev.nyla.sync.store.SearchHit;
import dev.nyla.sync.store.SearchRequest;
import dev.nyla.sync.store.VectorStore;
import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Searches a store and heals it when a hit's id is unknown to the source of truth: the case where a search
 * returns a record the application then fails to find (an edited profile, a deleted document).
 *
 * <p>After each search, the hit ids are checked against the source with its cheap existence probe
 * ({@link SourceOfTruth#existing}). Unknown hits are dropped from the result (and the search asked once
 * more for as many extra hits, so the caller still gets {@code k} when the store has them), the
 * {@link HealListener} hears about them, and a {@linkplain Reconciler#sync(String, boolean) sync} of the
 * tenant is scheduled in the background:
 * <ul>
 *   <li><b>debounced</b>: it runs {@linkplain Builder#debounce(Duration) a moment} after the first unknown hit,
 *       and every unknown hit until then joins the same repair;</li>
 *   <li><b>rate-limited</b>: a tenant is repaired at most once per {@linkplain Builder#minInterval(Duration)
 *       interval}, and all tenants together at most {@linkplain Builder#maxRepairsPerHour(int) so many times
 *       an hour}; a repair over the limit is skipped (the next unknown hit asks again).</li>
 * </ul>
 * When the probe itself fails (the source is down), the hits are returned unfiltered: healing never makes
 * search less available than the store.
 *
 * <p><b>Disabled</b> ({@link Builder#enabled(boolean)}, or the system property {@code nyla.autoHeal=false},
 * which test environments set), it is a plain search: no probe, no repair.
 *
 * <p>Thread-safe. {@link #close()} stops the background repairs it owns.
 */
public final class HealingSearch implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(HealingSearch.class);
    private static final long HOUR = TimeUnit.HOURS.toNanos(1);

    /** Runs a task after a delay; the executor in production, a manual queue in tests. */
    interface Scheduler {
        void schedule(Runnable task, Duration delay);
    }

    private final Reconciler reconciler;
    private final VectorStore store;
    private final SourceOfTruth source;
    private final boolean enabled;
    private final long debounceNanos;
    private final long minIntervalNanos;
    private final int maxRepairsPerHour;
    private final HealListener listener;
    private final Scheduler scheduler;
    private final LongSupplier nanoTime;
    private final ScheduledExecutorService owned;

    /** Per tenant: a repair is scheduled; when the last one started. Guarded by {@code this}. */
    private final Map<String, TenantState> tenants = new HashMap<>();
    /** Start times of repairs in the last hour, oldest first. Guarded by {@code this}. */
    private final ArrayDeque<Long> recentRepairs = new ArrayDeque<>();

    private static final class TenantState {
        boolean scheduled;
        long lastStart;
        boolean started;

        /** Nothing scheduled and no repair within the minimum interval: the state no longer matters. */
        boolean idle(long now, long minIntervalNanos) {
            return !scheduled && (!started || now - lastStart >= minIntervalNanos);
        }
    }

    private HealingSearch(Builder b, Scheduler scheduler, LongSupplier nanoTime, ScheduledExecutorService owned) {
        this.reconciler = b.reconciler;
        this.store = b.reconciler.store();
        this.source = b.reconciler.source();
        this.enabled = b.enabled;
        this.debounceNanos = b.debounce.toNanos();
        this.minIntervalNanos = b.minInterval.toNanos();
        this.maxRepairsPerHour = b.maxRepairsPerHour;
        this.listener = b.listener;
        this.scheduler = scheduler;
        this.nanoTime = nanoTime;
        this.owned = owned;
    }

    /** A builder over {@code reconciler}, whose store is searched and whose source is probed. */
    public static Builder builder(Reconciler reconciler) {
        return new Builder(reconciler);
    }

    /** Whether hits are probed and unknown ones healed. */
    public boolean enabled() {
        return enabled;
    }

    /**
     * Searches the store as {@link VectorStore#search} does, without the hits whose ids the source does not
     * have (when enabled).
     */
    public List<SearchHit> search(SearchRequest request) throws IOException {
        List<SearchHit> hits = store.search(request);
        if (!enabled || hits.isEmpty()) {
            return hits;
        }
        Set<String> unknown = new LinkedHashSet<>();
        List<SearchHit> kept = known(request.tenant(), hits, unknown);
        if (kept == null) {
            return hits;
        }
        if (unknown.isEmpty()) {
            return hits;
        }
        if (hits.size() == request.k() && request.k() < SearchRequest.MAX_K) {
            // Ask once more for as many extra hits as were dropped, so the caller still gets k when it can.
            int k = Math.min(SearchRequest.MAX_K, request.k() + unknown.size());
            List<SearchHit> more = store.search(new SearchRequest(request.tenant(), request.vector(), k, request.filter()));
            List<SearchHit> refilled = known(request.tenant(), more, unknown);
            if (refilled != null) {
                kept = refilled.size() > request.k() ? refilled.subList(0, request.k()) : refilled;
            }
        }
        List<String> dropped = List.copyOf(unknown);
        fire(() -> listener.unknownHits(request.tenant(), dropped));
        scheduleRepair(request.tenant());
        return List.copyOf(kept);
    }

    /** The hits the source knows, adding the others' ids to {@code unknown}; null when the probe failed. */
    private List<SearchHit> known(String tenant, List<SearchHit> hits, Set<String> unknown) {
        List<String> ids = new ArrayList<>(hits.size());
        for (SearchHit h : hits) {
            ids.add(h.id());
        }
        Set<String> existing;
        try {
            existing = source.existing(tenant, ids);
        } catch (IOException | RuntimeException e) {
            LOG.warn("existence probe of {} hits of tenant '{}' in {} failed; returning them unchecked: {}",
                    ids.size(), tenant, source.describe(), e.getMessage());
            fire(() -> listener.probeFailed(tenant, e));
            return null;
        }
        List<SearchHit> kept = new ArrayList<>(hits.size());
        for (SearchHit h : hits) {
            if (existing.contains(h.id())) {
                kept.add(h);
            } else {
                unknown.add(h.id());
            }
        }
        return kept;
    }

    private void scheduleRepair(String tenant) {
        Duration delay;
        Long scheduledAt;
        synchronized (this) {
            long now = nanoTime.getAsLong();
            TenantState state = tenants.computeIfAbsent(tenant, t -> new TenantState());
            if (state.scheduled) {
                return; // debounced: joins the repair already scheduled
            }
            while (!recentRepairs.isEmpty() && now - recentRepairs.peekFirst() >= HOUR) {
                recentRepairs.removeFirst();
            }
            if (recentRepairs.size() >= maxRepairsPerHour) {
                String reason = "rate limit: " + recentRepairs.size() + " repairs in the last hour (at most "
                        + maxRepairsPerHour + ")";
                fire(() -> listener.repairSkipped(tenant, reason));
                forgetIfIdle(tenant, state, now);
                return;
            }
            long wait = debounceNanos;
            if (state.started) {
                wait = Math.max(wait, state.lastStart + minIntervalNanos - now);
            }
            state.scheduled = true;
            // Counted when scheduled, so that a burst over many tenants cannot schedule more than the hourly limit.
            scheduledAt = now;
            recentRepairs.addLast(scheduledAt);
            delay = Duration.ofNanos(wait);
        }
        try {
            scheduler.schedule(() -> repair(tenant), delay);
        } catch (RejectedExecutionException e) {
            // Closed, or an executor that is full: undo the bookkeeping so that a later hit can ask again.
            synchronized (this) {
                TenantState state = tenants.get(tenant);
                state.scheduled = false;
                recentRepairs.removeLastOccurrence(scheduledAt);
                forgetIfIdle(tenant, state, nanoTime.getAsLong());
            }
            fire(() -> listener.repairSkipped(tenant, "the repair executor refused it: " + e.getMessage()));
            return;
        }
        fire(() -> listener.repairScheduled(tenant, delay));
    }

    private void repair(String tenant) {
        synchronized (this) {
            TenantState state = tenants.get(tenant);
            state.scheduled = false;
            state.started = true;
            state.lastStart = nanoTime.getAsLong();
        }
        try {
            SyncReport report = reconciler.sync(tenant, false);
            fire(() -> listener.repaired(report));
        } catch (RuntimeException e) {
            LOG.error("repair of tenant '{}' in {} failed", tenant, store.location(), e);
        }
        synchronized (this) {
            forgetOldTenants(nanoTime.getAsLong());
        }
    }

    /** Drops tenants whose last repair is older than the minimum interval: their state no longer matters. */
    private void forgetOldTenants(long now) {
        tenants.values().removeIf(state -> state.idle(now, minIntervalNanos));
    }

    private void forgetIfIdle(String tenant, TenantState state, long now) {
        if (state.idle(now, minIntervalNanos)) {
            tenants.remove(tenant);
        }
    }

    private void fire(Runnable event) {
        try {
            event.run();
        } catch (RuntimeException e) {
            LOG.warn("heal listener failed: {}", e.toString());
        }
    }

    /**
     * Stops the background thread this instance started, if any: repairs scheduled but not started are
     * dropped, a repair running now finishes first. Searches keep working, without scheduling repairs.
     */
    @Override
    public void close() {
        if (owned != null) {
            owned.shutdown();
            synchronized (this) {
                tenants.clear(); // their scheduled repairs were dropped
            }
            try {
                owned.awaitTermination(1, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Builds a {@link HealingSearch}. Each option is set once: calling a setter a second time throws an
     * {@link IllegalStateException} naming the option and its value, rather than silently replacing it; a
     * value out of range throws an {@link IllegalArgumentException} naming the option.
     */
    public static final class Builder {
        private final BuilderOptions options = new BuilderOptions("HealingSearch.Builder");
        private final Reconciler reconciler;
        private boolean enabled = !"false".equalsIgnoreCase(System.getProperty("nyla.autoHeal", "true"));
        private Duration debounce = Duration.ofSeconds(2);
        private Duration minInterval = Duration.ofMinutes(1);
        private int maxRepairsPerHour = 60;
        private HealListener listener = new HealListener() {
        };
        private ScheduledExecutorService executor;
        private Scheduler scheduler;
        private LongSupplier nanoTime = System::nanoTime;

        private Builder(Reconciler reconciler) {
            this.reconciler = Objects.requireNonNull(reconciler, "reconciler");
        }

        /** Whether to probe and heal; default true unless the system property {@code nyla.autoHeal} is {@code false}. */
        public Builder enabled(boolean enabled) {
            this.enabled = options.once("enabled", enabled);
            return this;
        }

        /** How long after the first unknown hit a tenant's repair starts; default 2 seconds. */
        public Builder debounce(Duration debounce) {
            this.debounce = options.once("debounce", nonNegative("debounce", debounce));
            return this;
        }

        /** Least time between two repairs of one tenant; default 1 minute. */
        public Builder minInterval(Duration minInterval) {
            this.minInterval = options.once("minInterval", nonNegative("minInterval", minInterval));
            return this;
        }

        /** Most repairs started in any hour, over all tenants; default 60. */
        public Builder maxRepairsPerHour(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("maxRepairsPerHour: expected >= 1 but was " + n);
            }
            this.maxRepairsPerHour = options.once("maxRepairsPerHour", n);
            return this;
        }

        /** Hears unknown hits, scheduled, skipped and finished repairs. */
        public Builder listener(HealListener listener) {
            this.listener = options.listener("listener", listener);
            return this;
        }

        /**
         * Where repairs run; default a daemon thread of this instance's own. An executor given here is not
         * shut down by {@link #close()}.
         */
        public Builder executor(ScheduledExecutorService executor) {
            this.executor = options.once("executor", executor);
            return this;
        }

        /** For tests: a scheduler and a clock driven by hand. */
        Builder clock(Scheduler scheduler, LongSupplier nanoTime) {
            this.scheduler = options.once("clock", scheduler);
            this.nanoTime = nanoTime;
            return this;
        }

        public HealingSearch build() {
            if (enabled && !reconciler.canSync()) {
                throw new IllegalStateException("healing repairs tenants, so its reconciler needs an embedder");
            }
            if (scheduler != null) {
                return new HealingSearch(this, scheduler, nanoTime, null);
            }
            ScheduledExecutorService owned = null;
            ScheduledExecutorService exec = executor;
            if (exec == null && enabled) {
                ScheduledThreadPoolExecutor pool = new ScheduledThreadPoolExecutor(1, r -> {
                    Thread t = new Thread(r, "nyla-heal");
                    t.setDaemon(true);
                    return t;
                });
                // close() drops repairs still waiting out their debounce or interval instead of running them.
                pool.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
                owned = pool;
                exec = owned;
            }
            ScheduledExecutorService target = exec;
            Scheduler s = target == null
                    ? (task, delay) -> {
                        throw new IllegalStateException("healing is disabled");
                    }
                    : (task, delay) -> target.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
            return new HealingSearch(this, s, nanoTime, owned);
        }

        private static Duration nonNegative(String what, Duration d) {
            Objects.requireNonNull(d, what);
            if (d.isNegative()) {
                throw new IllegalArgumentException(what + ": expected >= 0 but was " + d);
            }
            return d;
        }
    }
}
