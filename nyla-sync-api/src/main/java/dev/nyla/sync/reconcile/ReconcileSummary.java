package dev.nyla.sync.reconcile;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The totals of a check or sync of many tenants. Per-tenant results go to the
 * {@link ReconcileListener} as they happen, since a store may hold millions of tenants.
 *
 * @param checked    tenants checked (in the source, in the store, or both)
 * @param inSync     tenants found in sync (nothing to do)
 * @param outOfSync  tenants found out of sync
 * @param synced     tenants repaired and verified (zero for a check)
 * @param failed     tenants whose check or sync failed
 * @param failures   the first failures, at most the reconciler's id limit
 * @param took       how long the whole run took
 */
public record ReconcileSummary(long checked, long inSync, long outOfSync, long synced, long failed,
                               List<TenantFailure> failures, Duration took) {

    /** A tenant whose check or sync failed, and why. */
    public record TenantFailure(String tenant, Exception error) {
        public TenantFailure {
            Objects.requireNonNull(tenant, "tenant");
            Objects.requireNonNull(error, "error");
        }
    }

    public ReconcileSummary {
        failures = List.copyOf(failures);
        Objects.requireNonNull(took, "took");
    }

    /** Whether every tenant ended in sync: for a check, none out of sync; for a sync, none failed. */
    public boolean allInSync() {
        return failed == 0 && inSync + synced == checked;
    }
}
