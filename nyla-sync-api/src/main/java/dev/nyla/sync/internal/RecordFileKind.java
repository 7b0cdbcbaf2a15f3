package dev.nyla.sync.internal;

/** What a record file holds. */
public enum RecordFileKind {
    /** Every record of a version, upserts only. */
    FULL(1),
    /** The changes from one version to the next: upserts and deletes. */
    DELTA(2);

    final int code;

    RecordFileKind(int code) {
        this.code = code;
    }

    static RecordFileKind fromCode(int code) {
        for (RecordFileKind k : values()) {
            if (k.code == code) {
                return k;
            }
        }
        return null;
    }
}
