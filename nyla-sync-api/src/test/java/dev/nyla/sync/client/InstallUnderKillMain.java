package dev.nyla.sync.client;

import dev.nyla.sync.artifact.DirectoryArtifactSource;
import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.demo.HashingEmbedder;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.VectorStore;
import dev.nyla.sync.store.VectorStores;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * The child JVM of {@link KillDuringInstallContract}: syncs the store at a location (any adapter on the class
 * path, found by its scheme) from a host directory and prints one line per event, flushed, so that the
 * parent can kill it with SIGKILL at a chosen point of the install:
 * {@code state <S>}, {@code route <R>}, {@code download <bytes>}, {@code install <records>}, {@code swapped <version>} (the new
 * generation is active and the sync state not saved yet), {@code done <outcome> <version>}.
 *
 * <p>Arguments: store location, state directory, host directory, public key file, embedder dimension, and
 * the start of a line to hold after (empty: none). Holding, the child prints that line and then waits for its
 * standard input to end, so that a kill is sure to land there: after {@code swapped}, between the activation
 * and the state save; after {@code state COMMITTED}, between the state save and the clean-up.
 */
public final class InstallUnderKillMain {
    /** The line printed between activation and state save. */
    static final String SWAPPED = "swapped";
    /** The line printed between the state save and the clean-up of the install. */
    static final String COMMITTED = "state " + SyncState.COMMITTED;

    private InstallUnderKillMain() {
    }

    public static void main(String[] args) throws IOException {
        PrintStream out = System.out;
        String holdAfter = args[5];
        SyncListener progress = new SyncListener() {
            @Override
            public void stateChanged(SyncState from, SyncState to) {
                print("state " + to);
            }

            @Override
            public void routeStarted(InstallRoute route, long downloadBytes) {
                print("route " + route);
            }

            @Override
            public void downloadProgress(String file, long bytes, long totalBytes, int stagePercent) {
                print("download " + bytes);
            }

            @Override
            public void installProgress(long records, long totalRecords, int stagePercent) {
                print("install " + records);
            }

            @Override
            public void swapped(Generation previous, Generation current) {
                print(SWAPPED + " " + current.version());
            }

            private void print(String line) {
                out.println(line);
                out.flush();
                if (!holdAfter.isEmpty() && line.startsWith(holdAfter)) {
                    try {
                        // The parent never writes: it kills the child once it read the line above.
                        while (System.in.read() >= 0) {
                            // keep holding
                        }
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }
            }
        };
        try (VectorStore store = VectorStores.open(args[0]);
             NylaSync sync = NylaSync.builder().source(new DirectoryArtifactSource(Path.of(args[2]))).store(store)
                     .stateDirectory(Path.of(args[1]))
                     .publicKey(SigningKeys.readPublicKey(Path.of(args[3])))
                     .queryEmbedder(new HashingEmbedder(Integer.parseInt(args[4]))).listener(progress).build()) {
            SyncResult r = sync.checkNow();
            out.println("done " + r.outcome() + " " + r.toVersion());
            out.flush();
        }
    }
}
