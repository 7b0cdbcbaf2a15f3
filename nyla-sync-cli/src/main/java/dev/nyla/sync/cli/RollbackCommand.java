package dev.nyla.sync.cli;

import dev.nyla.sync.client.NylaSync;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.VectorStore;
import java.io.PrintWriter;
import java.util.Optional;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code nyla-sync rollback}: serve the generation before the active one again. */
@Command(name = "rollback", mixinStandardHelpOptions = true,
        description = "Activate the generation that was active before the current one. The version rolled back from "
                + "stays trusted, so later syncs do not reinstall it; the next higher version is installed as usual.")
final class RollbackCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    final StoreOption store = new StoreOption();

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (VectorStore target = store.openForWriting()) {
            long from = target.activeGeneration().map(Generation::version).orElse(0L);
            Optional<NylaSync> client = ClientHome.of(target, store.stateDir()).rememberedClient(target);
            Generation now;
            if (client.isPresent()) {
                try (NylaSync sync = client.get()) {
                    now = sync.rollback();
                    out.printf(Locale.ROOT, "rolled back from version %d to version %d (generation %d); version %d stays trusted, "
                            + "so sync waits for a higher one%n", from, now.version(), now.id(), sync.status().trustedVersion());
                }
            } else {
                // No sync client state (a store written by an application, or synced elsewhere): the store alone.
                now = target.rollback();
                out.printf(Locale.ROOT, "rolled back from version %d to version %d (generation %d)%n", from, now.version(), now.id());
            }
        }
        return Main.OK;
    }
}
