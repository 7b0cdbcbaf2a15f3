package dev.nyla.sync.store;

/**
 * A store could not be opened for writing because another process, or another store object in this
 * process, holds its writer's lock. The message names the lock file and, when the holder recorded it, its
 * process id, command and since when, and what to do.
 */
public class StoreLockedException extends StoreException {
    private static final long serialVersionUID = 1L;

    public StoreLockedException(String message) {
        super(message);
    }
}
