package dev.nyla.sync.store;

/**
 * Counts for status displays.
 *
 * @param activeGenerationId the active generation's id, 0 when none is active
 * @param records            records in the active generation
 * @param tenants            tenants in the active generation
 * @param generationsKept    committed generations kept, the active one included
 * @param bytesOnDisk        storage used by all kept generations, 0 for stores that do not know
 */
public record StoreStats(long activeGenerationId, long records, int tenants, int generationsKept, long bytesOnDisk) {
}
