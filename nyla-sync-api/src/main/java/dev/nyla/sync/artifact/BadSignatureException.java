package dev.nyla.sync.artifact;

/** A manifest's signature does not verify with any trusted public key, or the signature file is unusable. */
public final class BadSignatureException extends ArtifactException {
    private static final long serialVersionUID = 1L;

    public BadSignatureException(String message) {
        super(message);
    }

    public BadSignatureException(String message, Throwable cause) {
        super(message, cause);
    }

    public BadSignatureException(String subject, String what, Object expected, Object actual) {
        super(subject, what, expected, actual);
    }
}
