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

    /**
     * Refuses a vector that an artifact may not hold under this similarity: under {@link #COSINE} the all-zero
     * vector, which has no direction (its cosine with anything is undefined, and Lucene refuses it on cosine
     * fields); the other similarities take every finite vector. One rule for both ends: the publisher refuses
     * to publish such a vector, and the sync client refuses to install one.
     *
     * @param subject what the vector belongs to, for the message
     * @throws InvalidVectorException naming {@code subject} when this similarity cannot compare {@code vector}
     */
    public void requireDirection(float[] vector, String subject) throws InvalidVectorException {
        if (this != COSINE) {
            return;
        }
        for (float f : vector) {
            if (f != 0f) {
                return;
            }
        }
        throw new InvalidVectorException(subject, "vector", "at least one component that is not 0 (cosine needs a "
                + "direction)", "all " + vector.length + " components 0");
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
