package dev.nyla.sync.artifact;

import dev.nyla.sync.ArtifactException;

/**
 * The manifest's expiry time has passed: a frozen or replayed manifest, or a publisher that stopped publishing. Refused; the installed version keeps serving.
 */
public final class ExpiredManifestException extends ArtifactException {
    private static final long serialVersionUID = 1L;

    /** A mismatch on {@code subject}: {@code what} should have been {@code expected} but was {@code actual}. */
    public ExpiredManifestException(String subject, String what, Object expected, Object actual) {
        super(subject, what, expected, actual);
    }
}
