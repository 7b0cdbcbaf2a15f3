package dev.nyla.sync.artifact;

import dev.nyla.sync.LimitExceededException;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;

/**
 * Where artifacts come from: an HTTP(S) host or CDN, a local directory, the class path. The SPI only
 * moves bytes; all checking (signature, version, sizes, hashes) is done by the caller, so a source needs
 * no trust.
 */
public interface ArtifactSource extends Closeable {

    /** A short description for messages and logs, such as the base URL. */
    String describe();

    /**
     * A file of this source as messages name it: {@link #describe()} and {@code fileName} joined by one
     * {@code /} (a base URL's description ends with one already).
     */
    default String describe(String fileName) {
        String base = describe();
        return base.endsWith("/") ? base + fileName : base + "/" + fileName;
    }

    /**
     * Fetches {@code manifest.json} and its signature, conditionally when the request carries the ETag
     * of a manifest the caller already has.
     *
     * @throws LimitExceededException when either file is larger than the request's cap (checked while
     *         reading, so an endless response cannot exhaust memory)
     * @throws java.io.FileNotFoundException when the source has no manifest
     */
    ManifestResponse fetchManifest(ManifestRequest request) throws IOException;

    /**
     * Opens a payload file named by the manifest, from byte {@code offset} on (0 for the whole file).
     * The name has been checked to be a plain file name (ASCII letters, digits, {@code . _ -}, not starting with
     * a dot); sources must still not let it leave their root.
     *
     * @throws java.io.FileNotFoundException when the source has no such file
     */
    InputStream open(String fileName, long offset) throws IOException;

    /** Releases connections or files; the default does nothing. */
    @Override
    default void close() throws IOException {
    }
}
