package dev.nyla.sync.publish;

import dev.nyla.sync.artifact.Manifest;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a publication produced.
 *
 * @param manifest        the new manifest
 * @param directory       where the artifact was written
 * @param added           records new in this version
 * @param updated         records whose content hash changed
 * @param unchanged       records whose vectors were reused from the previous version
 * @param deleted         records of the previous version that are gone
 * @param embedded        texts sent to the embedder (added + updated, or all when the model changed)
 * @param fullBytes       size of the full payload as clients download it (the preferred encoding)
 * @param fullRawBytes    size of the uncompressed full payload
 * @param deltaBytes      size of the delta from the previous version as clients download it; 0 when none
 * @param nativeBytes     the sizes of the store-native payloads, in the manifest's order; empty when none
 */
public record PublishResult(Manifest manifest, Path directory, long added, long updated, long unchanged, long deleted,
                            long embedded, long fullBytes, long fullRawBytes, long deltaBytes,
                            List<NativeBytes> nativeBytes) {

    public PublishResult {
        nativeBytes = List.copyOf(nativeBytes);
    }

    /**
     * The size of one store-native payload.
     *
     * @param kind      the payload's kind
     * @param fullBytes the sum of its files' sizes: what a client holding none of them downloads
     * @param newBytes  the sum of the sizes of its files that the previous version's payload of this kind did
     *                  not have (by SHA-256): what a client holding the previous version downloads; equal to
     *                  {@code fullBytes} when there was no such payload
     */
    public record NativeBytes(String kind, long fullBytes, long newBytes) {
        public NativeBytes {
            Objects.requireNonNull(kind, "kind");
        }
    }

    /** The size of the store-native payload of {@code kind}, if this version has one. */
    public Optional<NativeBytes> nativeBytes(String kind) {
        return nativeBytes.stream().filter(n -> n.kind().equals(kind)).findFirst();
    }
}
