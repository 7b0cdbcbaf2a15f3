package dev.nyla.sync.client;

/**
 * How an update is installed. The client tries them in this order and falls back to the next when one
 * fails: a delta is smallest, the full compressed payload is next, the uncompressed one survives a broken
 * compressor or proxy, and a local rebuild from a bundled corpus (first start only) needs no network.
 */
public enum InstallRoute {
    /** Apply the manifest's delta from the installed version on top of the active generation. */
    DELTA,
    /** Download and install the full payload, gzip-compressed. */
    FULL_COMPRESSED,
    /** Download and install the full payload, uncompressed. */
    FULL_UNCOMPRESSED,
    /** Embed a bundled source corpus locally, when no artifact can be installed and nothing is serving. */
    LOCAL_REBUILD
}
