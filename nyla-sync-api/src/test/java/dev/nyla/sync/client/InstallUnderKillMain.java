package dev.nyla.sync.client;

import dev.nyla.sync.artifact.DirectoryArtifactSource;
import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.embed.HashingEmbedder;
import dev.nyla.sync.store.FileVectorStore;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * The child JVM of {@link KillDuringInstallTest}: syncs a file store from a host directory and prints one line
 * per event (flushed), so the parent can kill it at a chosen point of the install with SIGKILL.
 * Arguments: store directory, host directory, public key file, embedder dimension.
 */
public final class InstallUnderKillMain {
    private InstallUnderKillMain() {
    }

    public static void main(String[] args) throws IOException {
        PrintStream out = System.out;
        SyncListener progress = new SyncListener() {
            @Override
            public void stateChanged(SyncState from, SyncState to) {
                out.println("state " + to);
                out.flush();
            }

            @Override
            public void downloadProgress(String file, long bytes, long totalBytes, int stagePercent) {
                out.println("download " + bytes);
                out.flush();
            }

            @Override
            public void installProgress(long records, long totalRecords, int stagePercent) {
                out.println("install " + records);
                out.flush();
            }
        };
        try (FileVectorStore store = FileVectorStore.open(Path.of(args[0]));
             NylaSync sync = NylaSync.builder().source(new DirectoryArtifactSource(Path.of(args[1]))).store(store)
                     .publicKey(SigningKeys.readPublicKey(Path.of(args[2])))
                     .queryEmbedder(new HashingEmbedder(Integer.parseInt(args[3]))).listener(progress).build()) {
            SyncResult r = sync.checkNow();
            out.println("done " + r.outcome() + " " + r.toVersion());
            out.flush();
        }
    }
}
