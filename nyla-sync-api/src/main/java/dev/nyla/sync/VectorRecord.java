package dev.nyla.sync;

import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One searchable item: a chunk of source text, its metadata, and its embedding.
 *
 * <p>A record is identified by its key (tenant, id). The id is the stable id of the source item (a
 * document chunk, a profile entry), never a content hash, so an edited source item replaces its record
 * instead of adding a second one.
 *
 * <p>The {@code vector} array is owned by the record and is not copied, because records are streamed by
 * the million; callers must not modify it after construction.
 *
 * @param tenant      the namespace the record belongs to, such as a user or an organisation; searches and
 *                    inventories are per tenant. {@link #DEFAULT_TENANT} when the application has none
 * @param id          the source id, unique within the tenant
 * @param text        the text that was embedded, returned with search hits
 * @param metadata    string key/value pairs, usable as search filters; kept sorted by key
 * @param contentHash {@link ContentHash#of(String, Map, String)} of text, metadata and model fingerprint
 * @param vector      the embedding, finite values only
 */
public record VectorRecord(String tenant, String id, String text, Map<String, String> metadata, String contentHash,
                           float[] vector) {

    /** The tenant of records whose application has no tenants. */
    public static final String DEFAULT_TENANT = "default";
    /** Longest tenant name, in UTF-8 bytes. */
    public static final int MAX_TENANT_BYTES = 256;
    /** Longest id, in UTF-8 bytes. */
    public static final int MAX_ID_BYTES = 1024;
    /** Longest text, in UTF-8 bytes. */
    public static final int MAX_TEXT_BYTES = 16 << 20;
    /** Most metadata entries of one record. */
    public static final int MAX_METADATA_ENTRIES = 1024;
    /** Longest metadata key or value, in UTF-8 bytes. */
    public static final int MAX_METADATA_VALUE_BYTES = 64 << 10;
    /** Most metadata of one record, keys and values together, in UTF-8 bytes. */
    public static final int MAX_METADATA_TOTAL_BYTES = 1 << 20;

    public VectorRecord {
        requireKey("tenant", tenant, MAX_TENANT_BYTES);
        requireKey("id", id, MAX_ID_BYTES);
        Objects.requireNonNull(vector, "vector");
        metadata = sortedCopy(metadata);
        requireContent("record " + tenant + "/" + id, text, metadata);
        if (!ContentHash.isWellFormed(contentHash)) {
            throw new IllegalArgumentException("record " + tenant + "/" + id
                    + ": content hash: expected 64 lowercase hex digits but was '" + contentHash + "'");
        }
        if (vector.length == 0) {
            throw new IllegalArgumentException("record " + tenant + "/" + id + ": vector is empty");
        }
        for (int i = 0; i < vector.length; i++) {
            if (!Float.isFinite(vector[i])) {
                throw new IllegalArgumentException("record " + tenant + "/" + id + ": vector component " + i
                        + ": expected a finite float but was " + vector[i]);
            }
        }
    }

    /**
     * A record whose content hash is computed from its text, metadata and the fingerprint of {@code model}.
     */
    public static VectorRecord of(String tenant, String id, String text, Map<String, String> metadata,
                                  EmbeddingModel model, float[] vector) {
        return new VectorRecord(tenant, id, text, metadata, ContentHash.of(text, metadata, model.fingerprint()), vector);
    }

    /** The same record with another vector (and the same content hash). */
    public VectorRecord withVector(float[] newVector) {
        return new VectorRecord(tenant, id, text, metadata, contentHash, newVector);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VectorRecord r && tenant.equals(r.tenant) && id.equals(r.id) && text.equals(r.text)
                && metadata.equals(r.metadata) && contentHash.equals(r.contentHash) && Arrays.equals(vector, r.vector);
    }

    @Override
    public int hashCode() {
        return Objects.hash(tenant, id, contentHash) * 31 + Arrays.hashCode(vector);
    }

    @Override
    public String toString() {
        return "VectorRecord[" + tenant + "/" + id + ", hash=" + contentHash.substring(0, 12) + "…, dim=" + vector.length
                + ", metadata=" + metadata + ", text=" + abbreviate(text) + "]";
    }

    /**
     * Validates a tenant or id: non-empty, at most {@code maxBytes} UTF-8 bytes, no control characters
     * ({@link Character#isISOControl}: U+0000..U+001F, U+007F..U+009F), no unpaired surrogates.
     */
    static void requireKey(String what, String value, int maxBytes) {
        Objects.requireNonNull(value, what);
        requireText(what, value);
        long bytes = utf8Length(value);
        if (bytes == 0 || bytes > maxBytes) {
            throw new IllegalArgumentException(what + ": expected 1.." + maxBytes + " UTF-8 bytes but was " + bytes
                    + " ('" + abbreviate(value) + "')");
        }
        for (int i = 0; i < value.length(); i++) {
            if (Character.isISOControl(value.charAt(i))) {
                throw new IllegalArgumentException(what + " '" + abbreviate(value)
                        + "': expected no control characters but found U+" + String.format("%04X", (int) value.charAt(i)));
            }
        }
    }

    /**
     * Checks text and metadata against the format's limits, so that anything that can be constructed can
     * also be written, and bad input is refused where it is read (naming its file and line), not later.
     */
    static void requireContent(String subject, String text, Map<String, String> metadata) {
        requireText(subject + ": text", text);
        if (text.length() > MAX_TEXT_BYTES / 3 && utf8Length(text) > MAX_TEXT_BYTES) {
            throw new IllegalArgumentException(subject + ": text: expected at most " + MAX_TEXT_BYTES
                    + " UTF-8 bytes but was " + utf8Length(text));
        }
        if (metadata.size() > MAX_METADATA_ENTRIES) {
            throw new IllegalArgumentException(subject + ": metadata entries: expected at most " + MAX_METADATA_ENTRIES
                    + " but was " + metadata.size());
        }
        long total = 0;
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            requireText(subject + ": metadata key", Objects.requireNonNull(e.getKey(), "metadata key"));
            requireText(subject + ": metadata value of " + e.getKey(), Objects.requireNonNull(e.getValue(),
                    () -> "metadata value of " + e.getKey()));
            long k = utf8Length(e.getKey());
            long v = utf8Length(e.getValue());
            if (k > MAX_METADATA_VALUE_BYTES || v > MAX_METADATA_VALUE_BYTES) {
                throw new IllegalArgumentException(subject + ": metadata entry " + abbreviate(e.getKey())
                        + ": expected keys and values of at most " + MAX_METADATA_VALUE_BYTES + " UTF-8 bytes but was "
                        + Math.max(k, v));
            }
            total += k + v;
        }
        if (total > MAX_METADATA_TOTAL_BYTES) {
            throw new IllegalArgumentException(subject + ": metadata size: expected at most " + MAX_METADATA_TOTAL_BYTES
                    + " UTF-8 bytes but was " + total);
        }
    }

    /** The UTF-8 length of a string without unpaired surrogates, without encoding it. */
    static long utf8Length(String s) {
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n += 1;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c)) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }

    /**
     * Refuses a string with an unpaired surrogate: it has no UTF-8 encoding, and Java would silently write
     * it as '?', so two different strings could be stored as one (a truncated emoji from JavaScript is the
     * usual source).
     */
    static void requireText(String what, String value) {
        Objects.requireNonNull(value, what);
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException(what + ": expected valid Unicode but found an unpaired surrogate U+"
                        + String.format("%04X", (int) c) + " at index " + i);
            }
        }
    }

    private static SortedMap<String, String> sortedCopy(Map<String, String> metadata) {
        Objects.requireNonNull(metadata, "metadata");
        if (metadata.isEmpty()) {
            return Collections.emptySortedMap();
        }
        TreeMap<String, String> copy = new TreeMap<>(RecordKeys.ORDER);
        metadata.forEach((k, v) -> copy.put(Objects.requireNonNull(k, "metadata key"),
                Objects.requireNonNull(v, () -> "metadata value of " + k)));
        return Collections.unmodifiableSortedMap(copy);
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }
}
