package dev.nyla.sync.artifact;

import java.util.Objects;

/** The answer to a {@link ManifestRequest}: unchanged, or the manifest's bytes with its signature. */
public sealed interface ManifestResponse {

    /** The manifest still has the ETag the request named. */
    record NotModified() implements ManifestResponse {
    }

    /**
     * The manifest as served.
     *
     * @param manifest  the exact bytes of {@code manifest.json} (the signature covers them)
     * @param signature the bytes of {@code manifest.json.sig}
     * @param etag      the manifest's ETag for the next conditional request, empty when the source has none
     */
    record Fetched(byte[] manifest, byte[] signature, String etag) implements ManifestResponse {
        public Fetched {
            Objects.requireNonNull(manifest, "manifest");
            Objects.requireNonNull(signature, "signature");
            Objects.requireNonNull(etag, "etag");
        }
    }
}
