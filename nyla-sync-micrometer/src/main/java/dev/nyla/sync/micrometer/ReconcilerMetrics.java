package dev.nyla.sync.micrometer;

import dev.nyla.sync.reconcile.Drift;
import dev.nyla.sync.reconcile.ReconcileListener;
import dev.nyla.sync.reconcile.SyncReport;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.List;

/**
 * Micrometer meters for one {@link dev.nyla.sync.reconcile.Reconciler}: checks and the drift they found by
 * kind (missing, stale, changed, model mismatch), tenant syncs by outcome with their time, the records they
 * repaired, texts embedded, and tenants that failed. It is the reconciler's {@link ReconcileListener} and a
 * {@link MeterBinder}:
 *
 * <pre>{@code
 * ReconcilerMetrics metrics = new ReconcilerMetrics("profiles");
 * metrics.bindTo(registry);
 * Reconciler reconciler = Reconciler.builder()
 *         ...
 *         .listener(metrics)                       // or ReconcileListener.all(log, metrics)
 *         .build();
 * }</pre>
 *
 * <p>Every meter is named {@code nyla.sync.reconcile.*} and tagged {@code store=<name>} plus the tags given;
 * {@code docs/metrics.md} lists them all. Tenants are not a tag (a store may hold millions): the meters sum over
 * them. Counts are kept here, not in a registry: events heard before {@link #bindTo} count, and any number of
 * registries may be bound. Thread-safe: a reconciler calls it from several worker threads at once while
 * registries read it.
 */
public final class ReconcilerMetrics implements ReconcileListener, MeterBinder {
    private final Tags tags;
    private final MeterFamily<Count> checks;
    private final MeterFamily<Count> drift;
    private final MeterFamily<Durations> syncs;
    private final MeterFamily<Count> repairs;
    private final Count embedded = new Count();
    private final Count failures = new Count();

    /**
     * Meters tagged {@code store=<store>}.
     *
     * @param store a name for the reconciled store, unique in the application
     * @throws IllegalArgumentException when {@code store} is blank
     */
    public ReconcilerMetrics(String store) {
        this(store, Tags.empty());
    }

    /**
     * Meters tagged {@code store=<store>} and {@code tags}.
     *
     * @param store a name for the reconciled store, unique in the application
     * @param tags  more tags for every meter
     * @throws IllegalArgumentException when {@code store} is blank
     */
    public ReconcilerMetrics(String store, Iterable<Tag> tags) {
        this.tags = StoreTag.of(store, tags);
        this.checks = new MeterFamily<>(this.tags, "result", List.of("in-sync", "drift"), Count::new,
                (r, t, c) -> c.register(r, "nyla.sync.reconcile.checks",
                        "tenant checks (those a sync runs first and to verify included), by whether they found drift", null, t));
        this.drift = new MeterFamily<>(this.tags, "kind", List.of("missing", "stale", "changed", "model-mismatch"),
                Count::new, (r, t, c) -> c.register(r, "nyla.sync.reconcile.drift",
                "records found drifted by checks, by kind, summed over checks", null, t));
        this.syncs = new MeterFamily<>(this.tags, "outcome", MeterFamily.tagValues(SyncReport.Outcome.values()),
                Durations::new, (r, t, d) -> d.register(r, "nyla.sync.reconcile.syncs",
                "tenant syncs, by outcome, timed from the start to the end of each (waiting for the tenant's lock included)", t));
        this.repairs = new MeterFamily<>(this.tags, "action", List.of("inserted", "updated", "deleted"), Count::new,
                (r, t, c) -> c.register(r, "nyla.sync.reconcile.repairs",
                        "records written (inserted, updated) and stale records deleted by syncs", null, t));
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        checks.bindTo(registry);
        drift.bindTo(registry);
        syncs.bindTo(registry);
        repairs.bindTo(registry);
        embedded.register(registry, "nyla.sync.reconcile.embedded", "texts embedded by syncs", null, tags);
        failures.register(registry, "nyla.sync.reconcile.failures",
                "tenants whose check failed in a check of all tenants, or whose sync could not start", null, tags);
    }

    @Override
    public void checked(Drift d) {
        checks.get(d.inSync() ? "in-sync" : "drift").increment();
        drift.get("missing").add(d.missing());
        drift.get("stale").add(d.stale());
        drift.get("changed").add(d.changed());
        drift.get("model-mismatch").add(d.modelMismatch());
    }

    @Override
    public void synced(SyncReport report) {
        syncs.get(report.outcome()).record(report.timings().total());
        repairs.get("inserted").add(report.inserted());
        repairs.get("updated").add(report.updated());
        repairs.get("deleted").add(report.deleted());
        embedded.add(report.embedded());
    }

    @Override
    public void tenantFailed(String tenant, Exception error) {
        failures.increment();
    }
}
