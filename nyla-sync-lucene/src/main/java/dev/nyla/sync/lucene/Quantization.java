package dev.nyla.sync.lucene;

import java.util.Locale;

/**
 * How vectors are held in the HNSW graph. The full-precision vectors are always kept too: search results
 * are re-scored with them, so quantization trades a little recall (won back by over-fetching) for memory
 * and speed, never the accuracy of the returned scores.
 */
public enum Quantization {
    /** float32, no quantization. */
    NONE,
    /** 7-bit scalar quantization (about 4× less memory for the graph's vectors). */
    INT7,
    /** 4-bit scalar quantization, two dimensions per byte (about 8× less). */
    INT4;

    /** The name used in locations and configuration: {@code none}, {@code int7}, {@code int4}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses a {@link #wireName()}.
     *
     * @throws IllegalArgumentException naming the accepted values
     */
    public static Quantization fromWireName(String name) {
        for (Quantization q : values()) {
            if (q.wireName().equals(name)) {
                return q;
            }
        }
        throw new IllegalArgumentException("quantization: expected one of none, int7, int4 but was '" + name + "'");
    }
}
