package dev.nyla.sync.micrometer;

import dev.nyla.sync.client.InstallRoute;
import dev.nyla.sync.client.SyncListener;
import dev.nyla.sync.client.SyncResult;
import dev.nyla.sync.client.SyncState;
import dev.nyla.sync.store.Generation;
import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Micrometer meters for one {@link dev.nyla.sync.client.NylaSync} client: checks by outcome, bytes downloaded
 * by install route, install and swap times, the installed version, the time since the last successful check,
 * fallbacks, failures and rollbacks. It is the client's {@link SyncListener} and a {@link MeterBinder}:
 *
 * <pre>{@code
 * NylaSyncMetrics metrics = new NylaSyncMetrics("kb");
 * metrics.bindTo(registry);                        // or a MeterBinder bean, which Spring Boot binds
 * NylaSync sync = NylaSync.builder()
 *         ...
 *         .listener(metrics)                       // or SyncListener.all(progress, metrics)
 *         .build();
 * }</pre>
 *
 * <p>Every meter is named {@code nyla.sync.*} and tagged {@code store=<name>} plus the tags given, so that two
 * clients in one application are told apart; {@code docs/metrics.md} lists them all. Use one instance per
 * client. Counts are kept here, not in a registry: events heard before {@link #bindTo} count, and any number
 * of registries may be bound. Thread-safe: the client calls it from its sync thread while registries read it
 * from theirs.
 */
public final class NylaSyncMetrics implements SyncListener, MeterBinder {
    private static final long UNKNOWN = -1;

    private final Tags tags;
    private final Clock clock;
    private final MeterFamily<Count> checks;
    private final MeterFamily<Count> downloaded;
    private final MeterFamily<Durations> installs;
    private final MeterFamily<Count> fallbacks;
    private final MeterFamily<Count> failures;
    private final Durations swaps = new Durations();
    private final Count rollbacks = new Count();
    private final AtomicLong installedVersion = new AtomicLong(UNKNOWN);
    private final AtomicLong lastSuccessfulCheck = new AtomicLong(UNKNOWN);

    // The run in progress. A client runs one at a time, but not always on the same thread: volatile.
    private volatile InstallRoute route;
    private volatile long installStarted = UNKNOWN;
    private volatile long swapStarted;
    /** Each payload file's bytes on disk as last reported in this route, to count only what was fetched. */
    private final Map<String, Long> fileBytes = new ConcurrentHashMap<>();

    /**
     * Meters tagged {@code store=<store>}.
     *
     * @param store a name for the client, unique in the application (the store's location, say)
     * @throws IllegalArgumentException when {@code store} is blank
     */
    public NylaSyncMetrics(String store) {
        this(store, Tags.empty());
    }

    /**
     * Meters tagged {@code store=<store>} and {@code tags}.
     *
     * @param store a name for the client, unique in the application (the store's location, say)
     * @param tags  more tags for every meter (the application, a region)
     * @throws IllegalArgumentException when {@code store} is blank
     */
    public NylaSyncMetrics(String store, Iterable<Tag> tags) {
        this(store, tags, Clock.SYSTEM);
    }

    /** As {@link #NylaSyncMetrics(String, Iterable)}, timing with {@code clock} (tests). */
    NylaSyncMetrics(String store, Iterable<Tag> tags, Clock clock) {
        this.tags = StoreTag.of(store, tags);
        this.clock = clock;
        List<String> routes = MeterFamily.tagValues(InstallRoute.values());
        this.checks = new MeterFamily<>(this.tags, "outcome", MeterFamily.tagValues(SyncResult.Outcome.values()),
                Count::new, (r, t, c) -> c.register(r, "nyla.sync.checks",
                "sync runs (a check, and an install when one is due), by how they ended", null, t));
        this.downloaded = new MeterFamily<>(this.tags, "route", routes, Count::new,
                (r, t, c) -> c.register(r, "nyla.sync.downloaded",
                        "payload bytes fetched from the source, by the install route that fetched them", "bytes", t));
        this.installs = new MeterFamily<>(this.tags, "route", routes, Durations::new,
                (r, t, d) -> d.register(r, "nyla.sync.installs",
                        "installs, from the first route's start to the new version committed, by the route that installed", t));
        this.fallbacks = new MeterFamily<>(this.tags, "route", routes, Count::new,
                (r, t, c) -> c.register(r, "nyla.sync.fallbacks", "routes that failed, the next one being tried", null, t));
        // By the stage a run failed in: only those seen get a meter; nyla.sync.checks{outcome=failed} counts all.
        this.failures = new MeterFamily<>(this.tags, "stage", List.of(), Count::new,
                (r, t, c) -> c.register(r, "nyla.sync.failures", "failed sync runs, by the stage they failed in", null, t));
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        checks.bindTo(registry);
        downloaded.bindTo(registry);
        installs.bindTo(registry);
        fallbacks.bindTo(registry);
        failures.bindTo(registry);
        swaps.register(registry, "nyla.sync.swaps", "activations of a new generation (time in the SWAPPING state)", tags);
        rollbacks.register(registry, "nyla.sync.rollbacks",
                "returns to an earlier generation, after a failed swap or on request", null, tags);
        Gauge.builder("nyla.sync.installed.version", this, NylaSyncMetrics::installedVersion)
                .description("version of the generation the store serves (0: none); unknown until the first check")
                .tags(tags).register(registry);
        TimeGauge.builder("nyla.sync.check.success.age", this, TimeUnit.MILLISECONDS, NylaSyncMetrics::checkAgeMillis)
                .description("time since the source last answered with a verified manifest (or not modified)")
                .tags(tags).register(registry);
    }

    private double installedVersion() {
        long v = installedVersion.get();
        return v == UNKNOWN ? Double.NaN : v;
    }

    private double checkAgeMillis() {
        long at = lastSuccessfulCheck.get();
        return at == UNKNOWN ? Double.NaN : Math.max(0, clock.wallTime() - at);
    }

    @Override
    public void stateChanged(SyncState from, SyncState to) {
        long now = clock.monotonicTime();
        if (from == SyncState.SWAPPING) {
            swaps.record(now - swapStarted);
        }
        if (to == SyncState.SWAPPING) {
            swapStarted = now;
        } else if (to == SyncState.COMMITTED && installStarted != UNKNOWN && route != null) {
            installs.get(route).record(now - installStarted);
            installStarted = UNKNOWN;
        }
    }

    @Override
    public void checkStarted(long trustedVersion) {
        // Until this process sees a swap or a rollback, the trusted version is the best it knows.
        installedVersion.compareAndSet(UNKNOWN, trustedVersion);
        route = null;
        installStarted = UNKNOWN;
        fileBytes.clear();
    }

    @Override
    public void checkFinished(long offeredVersion, boolean updateAvailable) {
        lastSuccessfulCheck.set(clock.wallTime());
    }

    @Override
    public void routeStarted(InstallRoute route, long downloadBytes) {
        this.route = route;
        fileBytes.clear();
        if (installStarted == UNKNOWN) {
            installStarted = clock.monotonicTime();
        }
    }

    @Override
    public void downloadProgress(String file, long bytes, long totalBytes, int stagePercent) {
        // A file's first report in a route is what was on disk before (a resumed or earlier download);
        // each later one adds what was fetched since. A restart from zero reports less and sets a new start.
        Long before = fileBytes.put(file, bytes);
        InstallRoute current = route;
        if (before != null && bytes > before && current != null) {
            downloaded.get(current).add(bytes - before);
        }
    }

    @Override
    public void swapped(Generation previous, Generation current) {
        installedVersion.set(current.version());
    }

    @Override
    public void fallback(InstallRoute failed, InstallRoute next, IOException cause) {
        fallbacks.get(failed).increment();
    }

    @Override
    public void completed(SyncResult result) {
        checks.get(result.outcome()).increment();
    }

    @Override
    public void failed(SyncState stage, IOException cause) {
        checks.get(SyncResult.Outcome.FAILED).increment();
        failures.get(stage).increment();
    }

    @Override
    public void rolledBack(Generation current, String reason) {
        rollbacks.increment();
        installedVersion.set(current.version());
    }
}
