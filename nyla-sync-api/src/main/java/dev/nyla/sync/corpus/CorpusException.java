package dev.nyla.sync.corpus;

import dev.nyla.sync.NylaSyncException;

/** A corpus file cannot be used: malformed JSON, a missing field, a duplicate id. The message names file and line. */
public final class CorpusException extends NylaSyncException {
    private static final long serialVersionUID = 1L;

    public CorpusException(String message) {
        super(message);
    }

    public CorpusException(String message, Throwable cause) {
        super(message, cause);
    }

    public CorpusException(String subject, String what, Object expected, Object actual) {
        super(subject, what, expected, actual);
    }
}
