package dev.nyla.sync.artifact;

import dev.nyla.sync.ArtifactException;

/**
 * A manifest's signature does not verify with any trusted public key (or was made by a revoked one), a key
 * document is not signed by a threshold of the keys it must be signed by, or a signature file is unusable.
 */
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
