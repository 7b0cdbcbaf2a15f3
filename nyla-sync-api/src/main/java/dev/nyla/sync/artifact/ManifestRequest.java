package dev.nyla.sync.artifact;

import java.util.Objects;

/**
 * A request for the manifest.
 *
 * @param ifNoneMatch the ETag of the manifest the caller has, or empty to fetch unconditionally
 * @param maxBytes    the largest manifest accepted
 */
public record ManifestRequest(String ifNoneMatch, long maxBytes) {
    public ManifestRequest {
        Objects.requireNonNull(ifNoneMatch, "ifNoneMatch");
        if (maxBytes < 1) {
            throw new IllegalArgumentException("maxBytes: expected >= 1 but was " + maxBytes);
        }
    }

    /** Fetch the manifest whatever the caller has, capped at {@link Manifest#DEFAULT_MAX_BYTES}. */
    public static ManifestRequest unconditional() {
        return new ManifestRequest("", Manifest.DEFAULT_MAX_BYTES);
    }

    /** Fetch the manifest unless its ETag is still {@code etag}. */
    public static ManifestRequest ifNoneMatch(String etag) {
        return new ManifestRequest(etag, Manifest.DEFAULT_MAX_BYTES);
    }
}
