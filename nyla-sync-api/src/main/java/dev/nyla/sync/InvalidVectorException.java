package dev.nyla.sync;

/** A vector holds a value that cannot be searched: NaN or an infinity. */
public final class InvalidVectorException extends NylaSyncException {
    private static final long serialVersionUID = 1L;

    public InvalidVectorException(String subject, int index, float value) {
        super(subject, "vector component " + index, "a finite float", value);
    }
}
