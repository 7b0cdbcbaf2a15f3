package dev.nyla.sync.artifact;

/** A file's bytes are not the ones its manifest promised: wrong size or wrong sha256. */
public final class IntegrityException extends ArtifactException {
    private static final long serialVersionUID = 1L;

    public IntegrityException(String message) {
        super(message);
    }

    public IntegrityException(String message, Throwable cause) {
        super(message, cause);
    }

    public IntegrityException(String subject, String what, Object expected, Object actual) {
        super(subject, what, expected, actual);
    }
}
