package dev.nyla.sync.store;

/**
 * What a mutation did, so that callers can check every write instead of assuming it.
 *
 * @param inserted records that did not exist before
 * @param updated  records that replaced an existing one
 * @param deleted  records removed
 * @param notFound ids asked to be deleted that were not there
 */
public record WriteResult(int inserted, int updated, int deleted, int notFound) {
    public WriteResult {
        if (inserted < 0 || updated < 0 || deleted < 0 || notFound < 0) {
            throw new IllegalArgumentException("write result counts must be >= 0");
        }
    }

    /** The result of an upsert. */
    public static WriteResult upserted(int inserted, int updated) {
        return new WriteResult(inserted, updated, 0, 0);
    }

    /** The result of a delete. */
    public static WriteResult deleted(int deleted, int notFound) {
        return new WriteResult(0, 0, deleted, notFound);
    }

    /** Records written, inserted or updated. */
    public int written() {
        return inserted + updated;
    }
}
