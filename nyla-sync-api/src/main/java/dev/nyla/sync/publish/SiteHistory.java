package dev.nyla.sync.publish;

import dev.nyla.sync.ArtifactException;
import dev.nyla.sync.artifact.internal.Artifacts;
import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.internal.DurableFiles;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The signed manifests a site has published, one pair of files per version in {@code history/}
 * ({@code history/<version>.json} and {@code history/<version>.json.sig}, the exact bytes that were served as
 * {@code manifest.json} and {@code manifest.json.sig}). It is how the publisher knows, without a side ledger,
 * the full payloads of its recent versions (to write deltas from them) and every file they name (to prune
 * the rest). Entries are signed like the live manifest, so a tampered history is refused, not trusted.
 */
final class SiteHistory {
    /** The history's directory inside a site. */
    static final String DIR = "history";
    private static final Pattern ENTRY = Pattern.compile("([1-9][0-9]{0,18})\\.json");

    private final Path dir;

    SiteHistory(Path site) {
        this.dir = site.resolve(DIR);
    }

    /** The directory of the entries. */
    Path directory() {
        return dir;
    }

    /**
     * Records a version: the signature first, then the manifest, each written atomically and durably, so an
     * entry with a manifest always has its signature beside it. Recording the same bytes again changes nothing.
     *
     * @throws ArtifactException when another manifest is already recorded for that version
     */
    void record(long version, byte[] manifest, byte[] signature) throws IOException {
        Files.createDirectories(dir);
        Path m = manifestFile(version);
        if (Files.exists(m)) {
            if (Arrays.equals(Files.readAllBytes(m), manifest)) {
                return;
            }
            throw new ArtifactException(m.toString(), "manifest recorded for version " + version,
                    "the manifest being published", "another manifest of the same version (was the version published "
                    + "twice from different inputs? each version must be published once)");
        }
        DurableFiles.writeAtomically(signatureFile(version), signature);
        DurableFiles.writeAtomically(m, manifest);
    }

    /** The versions recorded, ascending; files that are not entries are ignored. */
    List<Long> versions() throws IOException {
        List<Long> versions = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return versions;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path p : entries) {
                Matcher matcher = ENTRY.matcher(p.getFileName().toString());
                if (matcher.matches()) {
                    versions.add(Long.parseLong(matcher.group(1)));
                }
            }
        }
        versions.sort(null);
        return versions;
    }

    /**
     * The recorded manifest of {@code version}, verified with {@code trustedKeys} before it is parsed, as a
     * client would; empty when the version is not recorded.
     */
    Optional<Manifest> read(long version, Collection<PublicKey> trustedKeys) throws IOException {
        byte[] manifest;
        byte[] signature;
        try {
            manifest = Files.readAllBytes(manifestFile(version));
            signature = Files.readAllBytes(signatureFile(version));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        if (signature.length > Manifest.MAX_SIGNATURE_BYTES) {
            throw new ArtifactException(signatureFile(version).toString(), "size", "at most "
                    + Manifest.MAX_SIGNATURE_BYTES + " bytes", signature.length + " bytes");
        }
        return Optional.of(Artifacts.verifyManifest(manifest, signature, trustedKeys, manifestFile(version).toString()));
    }

    /** Removes a version's entry: the manifest first, so that a half-removed entry is never read as one. */
    void remove(long version) throws IOException {
        Files.deleteIfExists(manifestFile(version));
        Files.deleteIfExists(signatureFile(version));
    }

    Path manifestFile(long version) {
        return dir.resolve(version + ".json");
    }

    Path signatureFile(long version) {
        return dir.resolve(version + ".json.sig");
    }
}
