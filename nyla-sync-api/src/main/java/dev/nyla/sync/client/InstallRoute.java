package dev.nyla.sync.client;

/**
 * How an update is installed. The client tries them in this order and falls back to the next when one
 * fails: a store-native payload (when the manifest has one the store installs) needs no index built on the
 * client, reusing the files the store holds first; then the portable records: a delta is smallest, the full
 * compressed payload is next, the uncompressed one survives a broken compressor or proxy, and a local
 * rebuild from a bundled corpus (first start only) needs no network.
 */
public enum InstallRoute {
    /**
     * Install the manifest's store-native payload of the store's kind, reusing the files the store already
     * holds and downloading only the others: the delta of a native payload. Planned only when the store
     * holds some of the files.
     */
    NATIVE_DELTA,
    /** Install the store-native payload from a fresh download of every one of its files. */
    NATIVE_FULL,
    /** Apply the manifest's delta from the installed version on top of the active generation. */
    DELTA,
    /** Download and install the full payload, gzip-compressed. */
    FULL_COMPRESSED,
    /** Download and install the full payload, uncompressed. */
    FULL_UNCOMPRESSED,
    /** Embed a bundled source corpus locally, when no artifact can be installed and nothing is serving. */
    LOCAL_REBUILD;

    /** Whether this route installs a store-native payload rather than records. */
    boolean isNative() {
        return this == NATIVE_DELTA || this == NATIVE_FULL;
    }
}
