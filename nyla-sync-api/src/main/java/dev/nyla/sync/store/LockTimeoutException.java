package dev.nyla.sync.store;

import java.time.Duration;

/** A lock, such as a tenant's repair lock, stayed held by someone else for longer than the caller would wait. */
public class LockTimeoutException extends StoreException {
    private static final long serialVersionUID = 1L;

    /** {@code lock} (such as "repair lock of tenant 'acme' in jdbc:postgresql://…") was not free within {@code waited}. */
    public LockTimeoutException(String lock, Duration waited) {
        super(lock, "free within", waited, "still held by another process or thread");
    }
}
