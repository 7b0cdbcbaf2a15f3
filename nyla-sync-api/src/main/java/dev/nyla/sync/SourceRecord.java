package dev.nyla.sync;

import java.util.Map;

/**
 * One item of the source of truth, before embedding: a document chunk, a profile entry, a JSONL line.
 *
 * @param tenant   the namespace it belongs to ({@link VectorRecord#DEFAULT_TENANT} when there are none)
 * @param id       its stable id within the tenant
 * @param text     the text to embed
 * @param metadata string key/value pairs stored with the vector and usable as filters
 */
public record SourceRecord(String tenant, String id, String text, Map<String, String> metadata) {
    public SourceRecord {
        VectorRecord.requireKey("tenant", tenant, VectorRecord.MAX_TENANT_BYTES);
        VectorRecord.requireKey("id", id, VectorRecord.MAX_ID_BYTES);
        metadata = Map.copyOf(metadata);
        VectorRecord.requireContent("source record " + tenant + "/" + id, text, metadata);
    }

    /** The content hash this record has when embedded by the model with {@code modelFingerprint}. */
    public String contentHash(String modelFingerprint) {
        return ContentHash.of(text, metadata, modelFingerprint);
    }

    /** The vector record of this source record embedded as {@code vector} by the model with {@code modelFingerprint}. */
    public VectorRecord toVectorRecord(float[] vector, String modelFingerprint) {
        return new VectorRecord(tenant, id, text, metadata, contentHash(modelFingerprint), vector);
    }
}
