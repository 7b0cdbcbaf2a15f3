package dev.nyla.sync.reconcile;

import dev.nyla.sync.NylaSyncException;

/** Reconciling a tenant failed: the source, the store or the embedder did something the reconciler cannot accept. */
public class ReconcileException extends NylaSyncException {
    private static final long serialVersionUID = 1L;

    public ReconcileException(String message) {
        super(message);
    }

    public ReconcileException(String message, Throwable cause) {
        super(message, cause);
    }

    public ReconcileException(String subject, String what, Object expected, Object actual) {
        super(subject, what, expected, actual);
    }
}
