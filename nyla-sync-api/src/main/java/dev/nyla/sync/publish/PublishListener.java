package dev.nyla.sync.publish;

/** Progress of a publication, for progress bars and logs. Called on the publishing thread. */
@FunctionalInterface
public interface PublishListener {
    /** A listener that ignores everything. */
    PublishListener NONE = (done, total) -> { };

    /** {@code done} of {@code total} records have been written to the payload. */
    void recordsWritten(long done, long total);
}
