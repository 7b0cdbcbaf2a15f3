package dev.nyla.sync.store;

import dev.nyla.sync.ContentHash;
import dev.nyla.sync.internal.FileNames;
import java.util.Objects;

/**
 * One file an artifact consists of, as its manifest names it. Payload files are immutable and
 * content-addressed (their name carries their sha256), so hosts and CDNs may cache them forever.
 *
 * @param name             a plain file name: ASCII letters, digits, {@code . _ -}, 1..200 characters, not
 *                         starting with a dot
 * @param size             the exact size in bytes, as stored on the host
 * @param sha256           lowercase hex SHA-256 of the stored bytes
 * @param compression      how the stored bytes are compressed
 * @param uncompressedSize the exact size after decompression (equal to {@code size} when not compressed)
 */
public record PayloadFile(String name, long size, String sha256, Compression compression, long uncompressedSize) {
    /** The largest size a payload file may have, compressed or not (1 PiB): far beyond any artifact, far from overflow. */
    public static final long MAX_SIZE = 1L << 50;

    public PayloadFile {
        if (!FileNames.isSafe(name)) {
            throw new IllegalArgumentException("payload file name is not a plain file name: '" + name + "'");
        }
        Objects.requireNonNull(compression, "compression");
        if (!ContentHash.isWellFormed(sha256)) {
            throw new IllegalArgumentException(name + ": sha256: expected 64 lowercase hex digits but was '" + sha256 + "'");
        }
        if (size < 0 || uncompressedSize < 0 || size > MAX_SIZE
                || uncompressedSize > MAX_SIZE) {
            throw new IllegalArgumentException(name + ": sizes must be in 0.." + MAX_SIZE);
        }
        if (compression == Compression.NONE && size != uncompressedSize) {
            throw new IllegalArgumentException(name + ": uncompressed file with size " + size
                    + " != uncompressedSize " + uncompressedSize);
        }
    }
}
