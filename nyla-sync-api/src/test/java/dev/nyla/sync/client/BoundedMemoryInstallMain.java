package dev.nyla.sync.client;

import dev.nyla.sync.artifact.DirectoryArtifactSource;
import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.store.VectorStore;
import dev.nyla.sync.store.VectorStores;
import java.nio.file.Path;
import java.security.PublicKey;

/**
 * Run in a child JVM with a small heap by {@link BoundedMemoryInstallContract}: opens the store at
 * {@code args[0]}, then syncs it from each site in {@code args[3..]} in turn (one {@link NylaSync} per site,
 * sharing the store and the client state in {@code args[2]}), trusting the public key in {@code args[1]}.
 * Prints one line per site with the outcome, the route and the store's record count, and the heap's size.
 */
public final class BoundedMemoryInstallMain {
    public static void main(String[] args) throws Exception {
        PublicKey key = SigningKeys.readPublicKey(Path.of(args[1]));
        try (VectorStore store = VectorStores.open(args[0])) {
            for (int i = 3; i < args.length; i++) {
                try (NylaSync sync = NylaSync.builder().source(new DirectoryArtifactSource(Path.of(args[i])))
                        .store(store).stateDirectory(Path.of(args[2])).publicKey(key).acceptAnyModel().build()) {
                    SyncResult r = sync.checkNow();
                    System.out.printf("site=%s outcome=%s route=%s records=%d%n", Path.of(args[i]).getFileName(),
                            r.outcome(), r.route().map(Enum::name).orElse("none"),
                            store.activeGeneration().map(g -> g.recordCount()).orElse(-1L));
                    if (r.outcome() != SyncResult.Outcome.INSTALLED) {
                        System.out.println("steps: " + r.steps());
                    }
                }
            }
        }
        System.out.printf("maxHeap=%d%n", Runtime.getRuntime().maxMemory());
    }
}
