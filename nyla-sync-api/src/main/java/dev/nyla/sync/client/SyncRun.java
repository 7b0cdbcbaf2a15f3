package dev.nyla.sync.client;

import dev.nyla.sync.artifact.ArtifactSource;
import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.VectorStore;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One run of the {@link SyncStateMachine}: its bookkeeping for the {@link SyncResult}. Not shared between threads. */
final class SyncRun {
    private static final Logger LOG = LoggerFactory.getLogger(SyncRun.class);

    private final VectorStore store;
    private final long started = System.nanoTime();
    final long fromVersion;
    private final List<String> steps = new ArrayList<>();
    /** The primary source, or the bundled baseline when the primary cannot be reached on a first start. */
    ArtifactSource source;
    long bytes;
    long fullBytes;
    Manifest offered;

    SyncRun(VectorStore store, ArtifactSource source) throws IOException {
        this.store = store;
        this.source = source;
        this.fromVersion = store.activeGeneration().map(Generation::version).orElse(0L);
    }

    SyncResult result(SyncResult.Outcome outcome, Optional<InstallRoute> route, Optional<IOException> failure) {
        long to;
        try {
            to = store.activeGeneration().map(Generation::version).orElse(0L);
        } catch (IOException e) {
            // The run's outcome stands; only the report of the active version is unknown.
            LOG.warn("{}: cannot read the active generation: {}", store.location(), e.getMessage());
            to = fromVersion;
        }
        return new SyncResult(outcome, fromVersion, to, route, bytes, fullBytes, steps,
                Duration.ofNanos(System.nanoTime() - started), failure);
    }

    /** A step of the run, for the result and the log. */
    void step(String what) {
        steps.add(what);
        LOG.info("{}: {}", store.location(), what);
    }
}
