package dev.nyla.sync.artifact.internal;

import dev.nyla.sync.artifact.TrustRoot;

/**
 * A key document and its signature file as fetched, unverified: {@link RootRotation#next} checks them.
 *
 * @param document   the exact bytes of {@code keys-<n>.json}
 * @param signatures the bytes of {@code keys-<n>.json.sig}
 */
public record KeyDocumentFiles(byte[] document, byte[] signatures) {
}
