package dev.nyla.sync;

/** A file or stream is larger than allowed: by the client's cap or by what its manifest declared. */
public final class LimitExceededException extends ArtifactException {
    private static final long serialVersionUID = 1L;

    public LimitExceededException(String message) {
        super(message);
    }

    public LimitExceededException(String message, Throwable cause) {
        super(message, cause);
    }

    public LimitExceededException(String subject, String what, Object expected, Object actual) {
        super(subject, what, expected, actual);
    }
}
