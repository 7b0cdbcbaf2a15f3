package dev.nyla.sync.benchmarks;

import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.artifact.DirectoryArtifactSource;
import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.artifact.internal.ManifestCodec;
import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.client.InstallRoute;
import dev.nyla.sync.client.NylaSync;
import dev.nyla.sync.client.SyncResult;
import dev.nyla.sync.internal.DurableFiles;
import dev.nyla.sync.store.VectorStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;

/**
 * Published artifacts that benchmarks install, made once and kept in the
 * {@linkplain Vectors#dataDirectory() data directory}: publishing 100,000 vectors with a Lucene payload takes
 * longer than the installs measured, and JMH runs every benchmark method in a fresh JVM. A release is
 * rebuilt when it is incomplete (a run stopped while publishing) or older than a week (manifests expire
 * after 30 days).
 */
final class Releases {
    private static final Duration MAX_AGE = Duration.ofDays(7);

    /** What a benchmark publishes into a release directory, signing with its keys. */
    interface Publishing {
        void publish(Path directory, KeyPair keys) throws IOException;
    }

    /** A kept release: its directory and the keys that signed it. */
    record Release(Path directory, KeyPair keys) {
        Path host(String name) {
            return directory.resolve(name);
        }

        Manifest manifest(String host) throws IOException {
            Path file = host(host).resolve("manifest.json");
            return ManifestCodec.read(Files.readAllBytes(file), file.toString());
        }

        /**
         * One sync run of {@code store} from {@code host}, which must install by {@code route}; reports the
         * bytes downloaded as the {@code bytes} figure.
         */
        SyncResult install(VectorStore store, String host, Path stateDirectory, EmbeddingModel model,
                           InstallRoute route) throws IOException {
            SyncResult r;
            try (NylaSync sync = NylaSync.builder().source(new DirectoryArtifactSource(host(host))).store(store)
                    .stateDirectory(stateDirectory).publicKey(keys.getPublic()).expectedModel(model).build()) {
                r = sync.checkNow();
            }
            if (r.outcome() != SyncResult.Outcome.INSTALLED || r.route().orElse(null) != route) {
                throw new IllegalStateException("expected an install by " + route + " but got " + r.outcome() + ": "
                        + r.steps());
            }
            Metrics.report("bytes", r.bytesDownloaded(), "B");
            return r;
        }
    }

    private Releases() {
    }

    static Release get(String name, Publishing publishing) throws IOException {
        Path dir = Vectors.dataDirectory().resolve("releases").resolve(name + "-g" + Vectors.VERSION);
        Path complete = dir.resolve("complete");
        Path key = dir.resolve("bench.key");
        if (Files.isRegularFile(complete)
                && Files.getLastModifiedTime(complete).toInstant().isAfter(Instant.now().minus(MAX_AGE))) {
            return new Release(dir, SigningKeys.readKeyPair(key));
        }
        DurableFiles.deleteRecursively(dir);
        Files.createDirectories(dir);
        KeyPair keys = SigningKeys.generate();
        SigningKeys.write(keys, dir.resolve("bench"));
        long started = System.nanoTime();
        publishing.publish(dir, keys);
        Files.writeString(complete, Instant.now().toString());
        System.out.printf("published release %s in %.1f s (kept in %s)%n", name, (System.nanoTime() - started) / 1e9,
                dir);
        return new Release(dir, keys);
    }
}
