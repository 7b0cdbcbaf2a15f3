package dev.nyla.sync.client;

import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.GenerationSpec;
import dev.nyla.sync.store.VectorStore;
import java.io.Closeable;
import java.io.IOException;
import java.util.Map;

/**
 * One pass of a route that installs an artifact's payload, in the stages the {@link SyncStateMachine} moves
 * through: {@link #download()} while {@link SyncState#DOWNLOADING} (each file's size and SHA-256 checked
 * as it streams), {@link #verified()} while {@link SyncState#VERIFYING}, {@link #install()} while
 * {@link SyncState#INSTALLING}. What to copy and how to install it are the route's; when, the machine's.
 * Closing releases what the pass holds, whether it completed or not.
 */
interface RouteInstall extends Closeable {

    /** Fetches what the route needs into the downloads, verifying each file while it streams. */
    void download() throws IOException;

    /** Reports the downloaded files as verified (and hands them over to the store, for a native payload). */
    void verified() throws IOException;

    /** Builds the new generation, committed but not active. */
    Generation install() throws IOException;

    @Override
    default void close() throws IOException {
    }

    /**
     * What one pass works with: its run, the store, the downloads, the events, and the verified manifest it
     * installs by {@code route}.
     */
    record Context(SyncRun run, VectorStore store, Downloads downloads, SyncEvents events, Manifest manifest,
                String manifestSha256, InstallRoute route) {

        /** The new generation's description: the manifest's version, label and model, and where it came from. */
        GenerationSpec spec() {
            return new GenerationSpec(manifest.version(), manifest.label(), manifest.model(),
                    Map.of("manifestSha256", manifestSha256, "route", route.name()));
        }
    }
}
