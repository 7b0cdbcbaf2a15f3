package dev.nyla.sync.store;

/**
 * A write (install, activation, rollback, deletion, upsert, delete) was asked of a store opened read-only
 * through {@link VectorStores#openReadOnly}. Read-only stores serve searches, inventories, statistics and
 * verification beside a writer that holds the store; changing it takes {@link VectorStores#open}, which only
 * one process at a time may do.
 */
public class ReadOnlyStoreException extends StoreException {
    private static final long serialVersionUID = 1L;

    /** {@code operation} (such as "roll back") was asked of the store at {@code location}, which is open read-only. */
    public ReadOnlyStoreException(String location, String operation) {
        super(location + " is open read-only: cannot " + operation + "; open it with VectorStores.open to change it "
                + "(one writer at a time)");
    }
}
