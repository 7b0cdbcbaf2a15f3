package dev.nyla.sync.artifact;

/**
 * A key document and its signature file as fetched, unverified: {@link TrustRoot#next} checks them.
 *
 * @param document   the exact bytes of {@code keys-<n>.json}
 * @param signatures the bytes of {@code keys-<n>.json.sig}
 */
public record KeyDocumentFiles(byte[] document, byte[] signatures) {
}
