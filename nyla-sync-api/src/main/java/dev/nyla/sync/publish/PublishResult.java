package dev.nyla.sync.publish;

import dev.nyla.sync.artifact.Manifest;
import java.nio.file.Path;

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
 */
public record PublishResult(Manifest manifest, Path directory, long added, long updated, long unchanged, long deleted,
                            long embedded, long fullBytes, long fullRawBytes, long deltaBytes) {
}
