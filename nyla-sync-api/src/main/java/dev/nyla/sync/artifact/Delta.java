package dev.nyla.sync.artifact;

import dev.nyla.sync.store.PayloadFile;
import java.util.List;

/**
 * A delta payload: the changes that turn version {@code fromVersion} into the manifest's version, as a
 * record stream of upserts and deletes. A client holding {@code fromVersion} may download it instead of
 * the full payload.
 *
 * @param fromVersion the version the delta applies to
 * @param upserts     records added or changed
 * @param deletes     records removed
 * @param files       alternative encodings of the delta stream, preferred first
 */
public record Delta(long fromVersion, long upserts, long deletes, List<PayloadFile> files) {
    public Delta {
        files = List.copyOf(files);
        if (files.isEmpty()) {
            throw new IllegalArgumentException("delta from version " + fromVersion + " has no files");
        }
        if (fromVersion < 1 || upserts < 0 || deletes < 0) {
            throw new IllegalArgumentException("delta from version " + fromVersion + ": counts and version must be positive");
        }
    }
}
