package dev.nyla.sync.store;

import java.util.Objects;

/**
 * What {@link VectorStore#verifyActiveGeneration()} found: the installed generation it re-read, how many
 * records that generation holds, and what was actually checked. Stores keep different integrity data (a
 * file's SHA-256 trailer, Lucene's per-file checksums, a content hash per row, or none at all), so the
 * report says which, rather than claiming more than was done.
 *
 * @param generationId the id of the generation that was verified: the one active when verification began
 * @param records      how many records it holds (live records; deleted ones are not counted)
 * @param checked      one line saying what was re-hashed, e.g. {@code "4 segments: every file's Lucene
 *                     checksum matches"}, or that the store keeps no checksums to re-hash
 */
public record IntegrityReport(long generationId, long records, String checked) {

    public IntegrityReport {
        Objects.requireNonNull(checked, "checked");
        if (generationId < 1) {
            throw new IllegalArgumentException("generation id: expected >= 1 but was " + generationId);
        }
        if (records < 0) {
            throw new IllegalArgumentException("records: expected >= 0 but was " + records);
        }
    }
}
