package dev.nyla.sync;

/** An artifact uses a format version or payload kind this client does not know; a newer client may read it. */
public final class UnsupportedFormatException extends ArtifactException {
    private static final long serialVersionUID = 1L;

    public UnsupportedFormatException(String message) {
        super(message);
    }

    public UnsupportedFormatException(String message, Throwable cause) {
        super(message, cause);
    }

    public UnsupportedFormatException(String subject, String what, Object expected, Object actual) {
        super(subject, what, expected, actual);
    }
}
