package dev.nyla.sync.client;

import java.time.Instant;
import java.util.Objects;

/**
 * One remembered event of the sync client, kept in its local state across restarts. Routine checks are not
 * recorded (see {@link SyncStatus#lastCheck()}), so installs and failures stay in the bounded history.
 *
 * @param at      when it happened
 * @param kind    {@code install}, {@code failure}, {@code rollback} or {@code clear}
 * @param version the version concerned, 0 when none
 * @param detail  a one-line description (the outcome, the route, the reason of a failure)
 */
public record SyncHistoryEntry(Instant at, String kind, long version, String detail) {
    public SyncHistoryEntry {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(detail, "detail");
    }
}
