package dev.nyla.sync;

/**
 * An artifact (manifest, signature or payload file) failed a check. The previous installed version is
 * never affected by such a failure. Subclasses say which check failed.
 */
public class ArtifactException extends NylaSyncException {
    private static final long serialVersionUID = 1L;

    public ArtifactException(String message) {
        super(message);
    }

    public ArtifactException(String message, Throwable cause) {
        super(message, cause);
    }

    public ArtifactException(String subject, String what, Object expected, Object actual) {
        super(subject, what, expected, actual);
    }

    public ArtifactException(String subject, String what, Object expected, Object actual, Throwable cause) {
        super(subject, what, expected, actual, cause);
    }
}
