package dev.nyla.sync.publish;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * What {@link SitePruner#prune} did to a site, or, in a dry run, what it would do.
 *
 * @param site            the site directory
 * @param dryRun          nothing was deleted: {@code deletedFiles}, {@code deletedBytes} and
 *                        {@code removedVersions} are what a prune would remove
 * @param historyFound    whether the site records its versions in {@code history/}; without a history nothing
 *                        is pruned (a site published before the publisher kept one gets it from its next
 *                        publication)
 * @param keptVersions    the versions whose files are kept, ascending; the live manifest's version is the last
 * @param removedVersions the recorded versions whose history entries were removed, ascending
 * @param deletedFiles    the payload files deleted, by name, sorted
 * @param deletedBytes    their total size
 * @param keptBytes       the total size of the files the kept versions name, each file counted once
 * @param missingFiles    files the kept versions name that the site does not hold, sorted: empty on a healthy
 *                        site; a file of the live version missing here is missing for clients too
 */
public record PruneResult(Path site, boolean dryRun, boolean historyFound, List<Long> keptVersions,
                          List<Long> removedVersions, List<String> deletedFiles, long deletedBytes, long keptBytes,
                          List<String> missingFiles) {

    public PruneResult {
        Objects.requireNonNull(site, "site");
        keptVersions = List.copyOf(keptVersions);
        removedVersions = List.copyOf(removedVersions);
        deletedFiles = List.copyOf(deletedFiles);
        missingFiles = List.copyOf(missingFiles);
    }
}
