package dev.nyla.sync.publish;

import dev.nyla.sync.ArtifactException;
import dev.nyla.sync.artifact.DirectoryArtifactSource;
import dev.nyla.sync.artifact.KeyDocument;
import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.artifact.internal.Artifacts;
import dev.nyla.sync.internal.DurableFiles;
import dev.nyla.sync.internal.FileNames;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bounds a site's size: deletes the payload files that only versions older than the last N name, then those
 * versions' entries in the site's history ({@code history/}, which the {@link Publisher} writes).
 *
 * <p>Only a file that an older recorded manifest names, and no kept manifest names, is ever deleted: files no
 * manifest names (an {@code index.html}, a publisher's {@code .tmp} leftover, anything put there by hand) are
 * never touched, nor are key documents ({@code keys-<n>.json} and their signatures) whatever names them,
 * and a file shared by an old and a kept version (an unchanged full payload, an unchanged store-native part)
 * stays. The kept versions are the N newest of the history together with the live
 * {@code manifest.json}'s version, which counts as the newest even when its history entry is missing. Every
 * manifest is verified with the trusted keys before anything is deleted, so a tampered history entry cannot
 * make the pruner delete a file a client needs: the prune stops with the entry's
 * {@link dev.nyla.sync.artifact.BadSignatureException}, having deleted nothing.
 *
 * <p>Files go first, history entries after, so a prune cut short leaves entries whose files are partly gone, and
 * running it again finishes the job. Run it between publications, never during one (a CI job's concurrency
 * setting): it decides from the manifests it read when it started, and a publication going live meanwhile
 * may name a file again that only an old version named (a corpus put back as it once was).
 *
 * <pre>{@code
 * PruneResult r = SitePruner.prune(Path.of("site"), 10, List.of(SigningKeys.readPublicKey(Path.of("release.pub"))), false);
 * }</pre>
 */
public final class SitePruner {
    /**
     * The fewest versions a prune keeps: the current one, and the previous one, whose manifest clients that
     * checked just before the last publication still hold while they download its files.
     */
    public static final int MIN_KEEP = 2;
    private static final Logger LOG = LoggerFactory.getLogger(SitePruner.class);

    private SitePruner() {
    }

    /**
     * Deletes the files of {@code site} that only versions older than its {@code keep} newest name, and the
     * history entries of those versions; with {@code dryRun}, computes and reports the same and deletes
     * nothing. Running it again deletes nothing more.
     *
     * @param site        the directory a publisher writes ({@code publish --out})
     * @param keep        how many of the newest versions keep their files, at least {@value #MIN_KEEP}; to let
     *                    the publisher write deltas from the last K versions, at least K
     * @param trustedKeys the keys that may have signed the live manifest and the history entries (during a key
     *                    rotation, the old key and the new one)
     * @throws IllegalArgumentException when {@code keep} is below {@value #MIN_KEEP} or no key is given
     * @throws ArtifactException        when the site has no {@code manifest.json}, the history records a version
     *                                  newer than it, or a manifest (live or recorded) fails verification: the
     *                                  exception names the file, and nothing was deleted
     */
    public static PruneResult prune(Path site, int keep, Collection<PublicKey> trustedKeys, boolean dryRun)
            throws IOException {
        Objects.requireNonNull(site, "site");
        if (keep < MIN_KEEP) {
            throw new IllegalArgumentException("keep: expected at least " + MIN_KEEP + " (the current version and the "
                    + "previous one, which clients may still be downloading) but was " + keep);
        }
        if (trustedKeys == null || trustedKeys.isEmpty()) {
            throw new IllegalArgumentException("trustedKeys: expected the public key(s) that sign the site's manifests "
                    + "but none was given");
        }
        Manifest live = readLive(site, trustedKeys);
        SiteHistory history = new SiteHistory(site);
        List<Long> recorded = history.versions();
        // Every manifest is read and verified before the first deletion: a bad entry stops the prune unharmed.
        Map<Long, Manifest> manifests = verifiedEntries(history, recorded, live.version(), trustedKeys);
        TreeSet<Long> versions = new TreeSet<>(recorded);
        versions.add(live.version());
        List<Long> kept = versions.descendingSet().stream().limit(keep).sorted().toList();
        List<Long> removed = recorded.stream().filter(v -> !kept.contains(v)).toList();

        Set<String> keptNames = new TreeSet<>(names(live));
        kept.stream().map(manifests::get).filter(Objects::nonNull).forEach(m -> keptNames.addAll(names(m)));
        Set<String> candidates = new TreeSet<>();
        removed.forEach(v -> candidates.addAll(names(manifests.get(v))));
        candidates.removeAll(keptNames);
        // Key documents are needed as long as any client may be behind them, which is forever: even a manifest
        // naming one as a payload file never gets it deleted.
        candidates.removeIf(name -> KeyDocument.versionOf(name).isPresent());

        List<String> deleted = new ArrayList<>();
        long deletedBytes = 0;
        for (String name : candidates) {
            Path file = inside(site, name);
            Optional<BasicFileAttributes> attributes = attributes(file);
            // A directory of that name is nothing a manifest could have named: not ours to delete.
            if (attributes.isEmpty() || attributes.get().isDirectory()) {
                continue;
            }
            if (!dryRun) {
                Files.deleteIfExists(file);
            }
            deleted.add(name);
            deletedBytes += attributes.get().size();
        }
        long keptBytes = 0;
        List<String> missing = new ArrayList<>();
        for (String name : keptNames) {
            Optional<BasicFileAttributes> attributes = attributes(inside(site, name));
            if (attributes.isPresent() && !attributes.get().isDirectory()) {
                keptBytes += attributes.get().size();
            } else {
                missing.add(name);
            }
        }
        if (!dryRun && !removed.isEmpty()) {
            // The deletions reach the disk before the entries that name the files go: a crash in between must not
            // leave files that no entry names, which no later prune would find.
            DurableFiles.fsyncDirectory(site.toAbsolutePath());
            for (long v : removed) {
                history.remove(v);
            }
            DurableFiles.fsyncDirectory(history.directory().toAbsolutePath());
        }
        PruneResult result = new PruneResult(site, dryRun, !recorded.isEmpty(), kept, removed, deleted, deletedBytes,
                keptBytes, missing);
        LOG.info("{}{}: kept versions {}, removed versions {}, {} files ({} bytes) deleted, {} bytes kept", dryRun
                ? "dry run of a prune of " : "pruned ", site, kept, removed, deleted.size(), deletedBytes, keptBytes);
        if (!missing.isEmpty()) {
            LOG.warn("{}: {} files named by kept versions are missing, e.g. {}", site, missing.size(), missing.get(0));
        }
        return result;
    }

    private static Manifest readLive(Path site, Collection<PublicKey> trustedKeys) throws IOException {
        Path manifest = site.resolve(Manifest.FILE_NAME);
        if (!Files.isRegularFile(manifest)) {
            throw new ArtifactException(manifest.toString(), "live manifest", "a site written by a publisher (the "
                    + "directory given to publish --out)", "no such file");
        }
        // As a client reads it: size caps, then the signature, then the parse.
        return Artifacts.fetchVerifiedManifest(new DirectoryArtifactSource(site), trustedKeys);
    }

    private static Map<Long, Manifest> verifiedEntries(SiteHistory history, List<Long> recorded, long liveVersion,
                                                       Collection<PublicKey> trustedKeys) throws IOException {
        Map<Long, Manifest> manifests = new TreeMap<>();
        for (long v : recorded) {
            if (v > liveVersion) {
                throw new ArtifactException(history.manifestFile(v).toString(), "recorded version", "at most the live "
                        + "manifest's version " + liveVersion, v + " (was the live manifest put back by hand? if version "
                        + v + " is withdrawn, move its two history files away, then prune)");
            }
            manifests.put(v, history.read(v, trustedKeys).orElseThrow(() -> new ArtifactException(
                    history.signatureFile(v).toString(), "signature of recorded version " + v, "a file beside "
                    + history.manifestFile(v).getFileName(), "none (restore it, or move the entry's manifest away too: "
                    + "then the files only that version names are never pruned)")));
        }
        return manifests;
    }

    /** Every payload file {@code m} names: records, store-native parts and deltas. */
    private static Set<String> names(Manifest m) {
        Set<String> names = new TreeSet<>();
        m.payload().files().forEach(f -> names.add(f.name()));
        m.nativePayloads().forEach(p -> p.files().forEach(f -> names.add(f.name())));
        m.deltas().forEach(d -> d.files().forEach(f -> names.add(f.name())));
        return names;
    }

    /**
     * The file {@code name} directly in {@code site}. Names come from verified manifests, whose reader already
     * refuses separators and dot-names; checked again here because this path is deleted.
     */
    private static Path inside(Path site, String name) throws IOException {
        return FileNames.resolve(site, name, site + ": a payload file named by a recorded manifest");
    }

    private static Optional<BasicFileAttributes> attributes(Path file) throws IOException {
        try {
            // A link is deleted, never followed: its size is the link's.
            return Optional.of(Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }
}
