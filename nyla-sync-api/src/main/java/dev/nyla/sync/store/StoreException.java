package dev.nyla.sync.store;

import dev.nyla.sync.NylaSyncException;

/** A store could not do what was asked: a missing generation, a failed write, an unreachable database. */
public class StoreException extends NylaSyncException {
    private static final long serialVersionUID = 1L;

    public StoreException(String message) {
        super(message);
    }

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }

    public StoreException(String subject, String what, Object expected, Object actual) {
        super(subject, what, expected, actual);
    }

    public StoreException(String subject, String what, Object expected, Object actual, Throwable cause) {
        super(subject, what, expected, actual, cause);
    }
}
