package dev.nyla.sync.artifact;

import dev.nyla.sync.ArtifactException;

/**
 * The artifact's embedding model differs from the model the client embeds its queries with; searching its vectors with those queries would return nonsense, so it is refused.
 */
public final class ModelMismatchException extends ArtifactException {
    private static final long serialVersionUID = 1L;

    /** A mismatch on {@code subject}: {@code what} should have been {@code expected} but was {@code actual}. */
    public ModelMismatchException(String subject, String what, Object expected, Object actual) {
        super(subject, what, expected, actual);
    }
}
