package dev.nyla.sync.client;

import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.artifact.internal.ManifestCodec;
import dev.nyla.sync.artifact.ManifestResponse;
import dev.nyla.sync.internal.DurableFiles;
import dev.nyla.sync.store.Generation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SequencedMap;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The manifests of the installed versions, kept beside the generations they describe: in the state
 * directory's {@code manifests/} as {@code <version>.json} with its signature {@code <version>.json.sig},
 * or in memory when the client has no state directory.
 */
final class InstalledManifests {
    private static final Logger LOG = LoggerFactory.getLogger(InstalledManifests.class);

    private final String location;
    private final Optional<Path> dir;
    /** Installed manifests when there is no state directory; read by status calls from other threads. */
    private final Map<Long, byte[]> inMemory = new ConcurrentHashMap<>();

    /** @param location the store's location, for log lines */
    InstalledManifests(String location, Optional<Path> stateDirectory) throws IOException {
        this.location = location;
        this.dir = stateDirectory.map(d -> d.resolve("manifests"));
        if (dir.isPresent()) {
            Files.createDirectories(dir.get());
        }
    }

    void save(long version, ManifestResponse.Fetched fetched) throws IOException {
        if (dir.isPresent()) {
            // The signature renamed first: a kept manifest has its signature beside it (after a power cut, as
            // far as the file system keeps the order of renames), so that a later check of the installed
            // generation (the command line's verify) can verify it again with the pinned key. Both durable
            // before the activation: the next checks hold the active version's expiry against its manifest.
            // One force of the directory covers both.
            SequencedMap<String, byte[]> files = new LinkedHashMap<>();
            files.put(version + ".json.sig", fetched.signature());
            files.put(version + ".json", fetched.manifest());
            DurableFiles.writeAtomically(dir.get(), files);
        } else {
            inMemory.put(version, fetched.manifest());
        }
    }

    /** The manifest of the active generation's version, when it was installed from an artifact. */
    Optional<Manifest> of(Optional<Generation> active) {
        if (active.isEmpty() || active.get().version() == 0) {
            return Optional.empty();
        }
        long v = active.get().version();
        try {
            byte[] bytes = dir.isPresent() ? Files.readAllBytes(dir.get().resolve(v + ".json")) : inMemory.get(v);
            // Verified when it was installed; the state directory is as trusted as the store.
            return bytes == null ? Optional.empty() : Optional.of(ManifestCodec.read(bytes, "installed manifest " + v));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            LOG.warn("{}: installed manifest of version {} unreadable: {}", location, v, e.getMessage());
            return Optional.empty();
        }
    }

    /** Deletes the manifests of every version but {@code keptVersions}. */
    void retain(List<Long> keptVersions) throws IOException {
        if (dir.isPresent()) {
            try (var files = Files.list(dir.get())) {
                for (Path p : (Iterable<Path>) files::iterator) {
                    String v = p.getFileName().toString().replaceAll("\\D.*$", "");
                    if (!v.isEmpty() && !keptVersions.contains(Long.parseLong(v))) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        } else {
            inMemory.keySet().retainAll(keptVersions);
        }
    }
}
