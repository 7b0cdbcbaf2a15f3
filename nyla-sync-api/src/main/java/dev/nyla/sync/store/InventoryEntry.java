package dev.nyla.sync.store;

import java.util.Objects;

/**
 * What a store holds for one record, as the reconciler compares it with the source of truth.
 *
 * @param id               the record's source id
 * @param contentHash      the content hash stored with the record
 * @param modelFingerprint the fingerprint of the model that embedded it
 */
public record InventoryEntry(String id, String contentHash, String modelFingerprint) {
    public InventoryEntry {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(contentHash, "contentHash");
        Objects.requireNonNull(modelFingerprint, "modelFingerprint");
    }
}
