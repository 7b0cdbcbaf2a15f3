package dev.nyla.sync;

/**
 * Bytes are not the ones promised: a downloaded file's size or sha256 differs from its manifest's, or an
 * installed generation no longer matches the checksums its store keeps
 * ({@link dev.nyla.sync.store.VectorStore#verifyActiveGeneration()}).
 */
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

    public IntegrityException(String subject, String what, Object expected, Object actual, Throwable cause) {
        super(subject, what, expected, actual, cause);
    }
}
