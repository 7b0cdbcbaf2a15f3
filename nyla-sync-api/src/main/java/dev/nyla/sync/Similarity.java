package dev.nyla.sync;

import java.util.Locale;

/**
 * How two vectors are compared. Every store reports a hit's score on this scale, whatever its engine uses
 * internally, so scores from different stores can be compared and tested against each other.
 */
public enum Similarity {
    /** Cosine of the angle, in [-1, 1]; 0 when either vector is all zeros. */
    COSINE,
    /** Plain dot product; equals cosine for unit-length vectors. */
    DOT_PRODUCT,
    /** {@code 1 / (1 + squaredEuclideanDistance)}, in (0, 1]: higher is closer, as with the others. */
    EUCLIDEAN;

    /** The name used in manifests and configuration: {@code cosine}, {@code dot_product}, {@code euclidean}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses a {@link #wireName()}.
     *
     * @throws IllegalArgumentException naming the accepted values when {@code name} is none of them
     */
    public static Similarity fromWireName(String name) {
        for (Similarity s : values()) {
            if (s.wireName().equals(name)) {
                return s;
            }
        }
        throw new IllegalArgumentException(
                "similarity: expected one of cosine, dot_product, euclidean but was '" + name + "'");
    }

    /** The score of {@code b} for the query {@code a}; higher is more similar. Vectors must have equal length. */
    public float score(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("vector lengths differ: " + a.length + " and " + b.length);
        }
        switch (this) {
            case DOT_PRODUCT: {
                double dot = 0;
                for (int i = 0; i < a.length; i++) {
                    dot += (double) a[i] * b[i];
                }
                return (float) dot;
            }
            case COSINE: {
                double dot = 0, na = 0, nb = 0;
                for (int i = 0; i < a.length; i++) {
                    dot += (double) a[i] * b[i];
                    na += (double) a[i] * a[i];
                    nb += (double) b[i] * b[i];
                }
                return na == 0 || nb == 0 ? 0f : (float) (dot / Math.sqrt(na * nb));
            }
            case EUCLIDEAN: {
                double d2 = 0;
                for (int i = 0; i < a.length; i++) {
                    double d = (double) a[i] - b[i];
                    d2 += d * d;
                }
                return (float) (1 / (1 + d2));
            }
            default:
                throw new AssertionError(this);
        }
    }
}
