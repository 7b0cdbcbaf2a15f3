package dev.nyla.sync;

/**
 * A vector holds a value that cannot be searched (NaN or an infinity), cannot be stored in the chosen
 * encoding (a component beyond the float16 range), or cannot be compared by the model's similarity (the zero
 * vector under cosine, see {@link Similarity#requireDirection}).
 */
public final class InvalidVectorException extends NylaSyncException {
    private static final long serialVersionUID = 1L;

    public InvalidVectorException(String subject, int index, float value) {
        this(subject, index, value, "a finite float");
    }

    /**
     * Component {@code index} of the vector of {@code subject} is {@code value}, where {@code expected} (such as
     * "a value float16 can hold") was required.
     */
    public InvalidVectorException(String subject, int index, float value, String expected) {
        super(subject, "vector component " + index, expected, value);
    }

    /** The vector of {@code subject} as a whole fails the check {@code what}: {@code expected} but {@code actual}. */
    public InvalidVectorException(String subject, String what, Object expected, Object actual) {
        super(subject, what, expected, actual);
    }
}
