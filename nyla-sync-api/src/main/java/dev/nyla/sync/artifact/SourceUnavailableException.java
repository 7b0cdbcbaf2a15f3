package dev.nyla.sync.artifact;

import dev.nyla.sync.ArtifactException;

/**
 * A source could not deliver a file: the host kept failing (connection errors, server errors, stalled
 * transfers) until the retry budget was spent, or it refused the request in a way that retrying cannot
 * fix (an HTTP status such as 401 or 403). Nothing was found wrong with the artifact itself; the installed
 * version stays in place, and the caller may try again later or check the source's address and
 * credentials. The message names the URL, the number of attempts and the last failure, which is also the
 * cause.
 */
public final class SourceUnavailableException extends ArtifactException {
    private static final long serialVersionUID = 1L;

    public SourceUnavailableException(String message) {
        super(message);
    }

    public SourceUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
