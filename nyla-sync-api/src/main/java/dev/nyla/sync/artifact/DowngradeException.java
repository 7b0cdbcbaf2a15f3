package dev.nyla.sync.artifact;

import dev.nyla.sync.ArtifactException;

/**
 * The manifest's version is lower than the version this client already trusts: a rollback (replay) attack or a mistaken publication. Refused unless the client opted in to downgrades.
 * Also a key document whose version is lower than its file name says (an older document served again), which
 * is always refused.
 */
public final class DowngradeException extends ArtifactException {
    private static final long serialVersionUID = 1L;

    /** A mismatch on {@code subject}: {@code what} should have been {@code expected} but was {@code actual}. */
    public DowngradeException(String subject, String what, Object expected, Object actual) {
        super(subject, what, expected, actual);
    }
}
