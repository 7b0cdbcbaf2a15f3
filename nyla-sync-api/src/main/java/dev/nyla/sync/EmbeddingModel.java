package dev.nyla.sync;

import java.util.Objects;

/**
 * The identity of an embedding model: everything a client must agree on with the publisher before vectors
 * from one can be searched with queries embedded by the other.
 *
 * @param id          a human-readable model name, such as {@code all-MiniLM-L6-v2}
 * @param dimension   the length of every vector the model produces
 * @param similarity  how vectors of this model are compared
 * @param normalized  whether the model emits unit-length vectors
 * @param fingerprint what makes two copies of the model the same model, typically the sha256 of its weights
 *                    and tokenizer files; two models with equal fingerprints embed identically
 */
public record EmbeddingModel(String id, int dimension, Similarity similarity, boolean normalized, String fingerprint) {

    /** Longest accepted id or fingerprint, in characters. */
    public static final int MAX_NAME_LENGTH = 512;
    /** Largest accepted dimension. */
    public static final int MAX_DIMENSION = 65_536;

    public EmbeddingModel {
        Objects.requireNonNull(similarity, "similarity");
        requireName("model id", id);
        requireName("model fingerprint", fingerprint);
        if (dimension < 1 || dimension > MAX_DIMENSION) {
            throw new IllegalArgumentException("model dimension: expected 1.." + MAX_DIMENSION + " but was " + dimension);
        }
    }

    /** Whether vectors of {@code other} can be searched with queries of this model: same fingerprint and shape. */
    public boolean isCompatibleWith(EmbeddingModel other) {
        return fingerprint.equals(other.fingerprint) && dimension == other.dimension && similarity == other.similarity;
    }

    private static void requireName(String what, String value) {
        Objects.requireNonNull(value, what);
        if (value.isBlank() || value.length() > MAX_NAME_LENGTH) {
            throw new IllegalArgumentException(what + ": expected 1.." + MAX_NAME_LENGTH
                    + " non-blank characters but was '" + value + "'");
        }
    }
}
