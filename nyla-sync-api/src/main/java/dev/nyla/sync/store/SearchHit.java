package dev.nyla.sync.store;

import java.util.Map;
import java.util.Objects;

/**
 * One search result.
 *
 * @param tenant   the record's tenant
 * @param id       the record's source id
 * @param score    the similarity on the scale of the model's {@link dev.nyla.sync.Similarity}, higher is better
 * @param text     the record's text
 * @param metadata the record's metadata
 */
public record SearchHit(String tenant, String id, float score, String text, Map<String, String> metadata) {
    public SearchHit {
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(text, "text");
        metadata = Map.copyOf(metadata);
    }
}
