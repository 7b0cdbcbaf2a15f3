package dev.nyla.sync.artifact;

import dev.nyla.sync.ContentHash;
import java.io.IOException;

/**
 * Manifest fetching for sources whose files are at hand (a directory, the class path), where no server
 * gives an ETag: the ETag is the quoted SHA-256 of the manifest bytes, so conditional fetches behave as
 * they do over HTTP.
 */
final class LocalManifests {
    private LocalManifests() {
    }

    /** Reads one named file of the artifact with a byte cap. */
    interface Reader {
        byte[] read(String name, long maxBytes) throws IOException;
    }

    static ManifestResponse fetch(ManifestRequest request, Reader reader) throws IOException {
        byte[] manifest = reader.read(Manifest.FILE_NAME, request.maxBytes());
        String etag = '"' + ContentHash.sha256Hex(manifest) + '"';
        if (etag.equals(request.ifNoneMatch())) {
            return new ManifestResponse.NotModified();
        }
        byte[] signature = reader.read(Manifest.SIGNATURE_FILE_NAME, Manifest.MAX_SIGNATURE_BYTES);
        return new ManifestResponse.Fetched(manifest, signature, etag);
    }
}
