package dev.nyla.sync.publish;

/**
 * Progress of a publication, for progress bars and logs. Called on the publishing thread.
 *
 * <p>The embedding callbacks give a total known before the first batch: the number of records that will
 * actually be embedded (an incremental publication embeds only added and changed records). To know it, a
 * publisher with a listener other than {@link #NONE} reads the previous version's keys and content hashes
 * once more before embedding, streaming, in a fraction of the time embedding takes.
 */
@FunctionalInterface
public interface PublishListener {
    /** A listener that ignores everything; a publisher given it skips the counting pass. */
    PublishListener NONE = (done, total) -> { };

    /** {@code done} of {@code total} records have been written to the payload. */
    void recordsWritten(long done, long total);

    /**
     * Embedding starts: {@code total} records will be embedded, exactly the added and changed ones (every
     * record for a first version or after a model change). Called once, before the first batch, also when
     * {@code total} is 0.
     */
    default void embeddingStarted(long total) {
    }

    /** {@code done} of {@code total} records have been embedded; called after every batch. */
    default void embedded(long done, long total) {
    }
}
