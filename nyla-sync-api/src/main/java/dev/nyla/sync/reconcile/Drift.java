package dev.nyla.sync.reconcile;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How one tenant of a store differs from its source of truth, as one check found it.
 *
 * <p>Counts are exact; the id lists hold the first ids of each kind in id order, at most the reconciler's
 * {@linkplain Reconciler.Builder#idLimit(int) id limit} each, so that a report of a tenant with a million
 * missing ids stays small.
 *
 * @param tenant           the tenant checked
 * @param sourceCount      records in the source
 * @param storeCount       records in the store's active generation
 * @param missing          ids in the source and not in the store
 * @param stale            ids in the store and not in the source (a search may return them)
 * @param changed          ids in both whose content hash differs (text or metadata edited)
 * @param modelMismatch    ids in both whose stored vector came from another embedding model
 * @param missingIds       the first missing ids
 * @param staleIds         the first stale ids
 * @param changedIds       the first changed ids
 * @param modelMismatchIds the first ids with a model mismatch
 * @param took             how long the check took
 */
public record Drift(String tenant, long sourceCount, long storeCount, long missing, long stale, long changed,
                    long modelMismatch, List<String> missingIds, List<String> staleIds, List<String> changedIds,
                    List<String> modelMismatchIds, Duration took) {

    public Drift {
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(took, "took");
        missingIds = List.copyOf(missingIds);
        staleIds = List.copyOf(staleIds);
        changedIds = List.copyOf(changedIds);
        modelMismatchIds = List.copyOf(modelMismatchIds);
        if (sourceCount < 0 || storeCount < 0 || missing < 0 || stale < 0 || changed < 0 || modelMismatch < 0) {
            throw new IllegalArgumentException("drift counts must be >= 0");
        }
    }

    /** Whether the store holds exactly the source's records, each embedded from its current content by the current model. */
    public boolean inSync() {
        return missing == 0 && stale == 0 && changed == 0 && modelMismatch == 0;
    }

    /** Records a sync would embed: missing, changed and model-mismatched ones. */
    public long toEmbed() {
        return missing + changed + modelMismatch;
    }

    /** Whether some id list holds fewer ids than its count says. */
    public boolean idsTruncated() {
        return missingIds.size() < missing || staleIds.size() < stale || changedIds.size() < changed
                || modelMismatchIds.size() < modelMismatch;
    }
}
