package dev.nyla.sync.store;

/** How a payload file is compressed on the wire and on the host. */
public enum Compression {
    /** Stored as is. */
    NONE("none"),
    /** gzip (RFC 1952), as the JDK writes and reads it. */
    GZIP("gzip");

    private final String wireName;

    Compression(String wireName) {
        this.wireName = wireName;
    }

    /** The name used in manifests. */
    public String wireName() {
        return wireName;
    }
}
