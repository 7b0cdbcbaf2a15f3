package dev.nyla.sync;

/** A manifest, signature or payload file is not well-formed: bad JSON, a missing or wrong-typed field, a bad magic number, a truncated or over-long stream, records out of order. */
public class MalformedArtifactException extends ArtifactException {
    private static final long serialVersionUID = 1L;

    public MalformedArtifactException(String message) {
        super(message);
    }

    public MalformedArtifactException(String message, Throwable cause) {
        super(message, cause);
    }

    public MalformedArtifactException(String subject, String what, Object expected, Object actual) {
        super(subject, what, expected, actual);
    }
}
