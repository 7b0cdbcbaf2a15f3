package dev.nyla.sync.reconcile;

/**
 * A source of truth yielded data the reconciler cannot use: records out of order or duplicated, a record of
 * another tenant, an invalid id or text, a failing query. The tenant's sync stops there; the first check of a
 * sync reads the source before anything is written, so a bad source found then leaves the store untouched.
 */
public class SourceException extends ReconcileException {
    private static final long serialVersionUID = 1L;

    public SourceException(String message) {
        super(message);
    }

    public SourceException(String message, Throwable cause) {
        super(message, cause);
    }

    public SourceException(String subject, String what, Object expected, Object actual) {
        super(subject, what, expected, actual);
    }
}
