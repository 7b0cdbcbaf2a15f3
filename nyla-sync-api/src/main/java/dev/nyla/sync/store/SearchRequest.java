package dev.nyla.sync.store;

import dev.nyla.sync.VectorRecord;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

/**
 * A top-k similarity search within one tenant.
 *
 * @param tenant the tenant whose records are searched
 * @param vector the query embedding (not copied: do not modify it)
 * @param k      how many hits to return at most, 1..10,000
 * @param filter metadata entries every hit must have, all of them (empty: no filter)
 */
public record SearchRequest(String tenant, float[] vector, int k, Map<String, String> filter) {

    /** Largest accepted {@code k}. */
    public static final int MAX_K = 10_000;

    public SearchRequest {
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(vector, "vector");
        filter = Map.copyOf(filter);
        if (k < 1 || k > MAX_K) {
            throw new IllegalArgumentException("k: expected 1.." + MAX_K + " but was " + k);
        }
        for (int i = 0; i < vector.length; i++) {
            if (!Float.isFinite(vector[i])) {
                throw new IllegalArgumentException("query vector component " + i + ": expected a finite float but was "
                        + vector[i]);
            }
        }
    }

    /** The top {@code k} of the default tenant, unfiltered. */
    public static SearchRequest of(float[] vector, int k) {
        return new SearchRequest(VectorRecord.DEFAULT_TENANT, vector, k, Map.of());
    }

    /** The top {@code k} of {@code tenant}, unfiltered. */
    public static SearchRequest of(String tenant, float[] vector, int k) {
        return new SearchRequest(tenant, vector, k, Map.of());
    }

    /** This request, restricted to records whose metadata has all of {@code entries}. */
    public SearchRequest withFilter(Map<String, String> entries) {
        return new SearchRequest(tenant, vector, k, entries);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SearchRequest r && tenant.equals(r.tenant) && k == r.k && filter.equals(r.filter)
                && Arrays.equals(vector, r.vector);
    }

    @Override
    public int hashCode() {
        return Objects.hash(tenant, k, filter) * 31 + Arrays.hashCode(vector);
    }

    @Override
    public String toString() {
        return "SearchRequest[tenant=" + tenant + ", k=" + k + ", filter=" + filter + ", dim=" + vector.length + "]";
    }
}
