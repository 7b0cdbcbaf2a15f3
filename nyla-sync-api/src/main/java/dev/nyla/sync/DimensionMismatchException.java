package dev.nyla.sync;

/** A vector's length differs from the dimension of the embedding model it is used with. */
public final class DimensionMismatchException extends NylaSyncException {
    private static final long serialVersionUID = 1L;

    public DimensionMismatchException(String subject, int expected, int actual) {
        super(subject, "vector dimension", expected, actual);
    }
}
