package dev.nyla.sync;

/** A file name in a manifest could escape its directory (a path separator, {@code ..}, an absolute path) or is otherwise not allowed. */
public final class UnsafeFileNameException extends ArtifactException {
    private static final long serialVersionUID = 1L;

    public UnsafeFileNameException(String message) {
        super(message);
    }

    public UnsafeFileNameException(String message, Throwable cause) {
        super(message, cause);
    }

    public UnsafeFileNameException(String subject, String what, Object expected, Object actual) {
        super(subject, what, expected, actual);
    }
}
