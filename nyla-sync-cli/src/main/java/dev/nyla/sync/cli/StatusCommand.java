package dev.nyla.sync.cli;

import dev.nyla.sync.client.NylaSync;
import dev.nyla.sync.client.SyncHistoryEntry;
import dev.nyla.sync.client.SyncStatus;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.StoreStats;
import dev.nyla.sync.store.VectorStore;
import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code nyla-sync status}: what a store serves and what its sync client last did. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show the version a store serves (label, model, counts), the generations it keeps, and the sync "
                + "client's trusted version, last check and result.")
final class StatusCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    final StoreOption store = new StoreOption();

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (VectorStore target = store.openExisting()) {
            ClientHome home = ClientHome.of(target, store.stateDir());
            Optional<Generation> active = target.activeGeneration();
            StoreStats stats = target.stats();
            row(out, "store", target.location());
            if (active.isEmpty()) {
                row(out, "version", "none installed");
            } else {
                Generation g = active.get();
                row(out, "version", g.version() == 0 ? "built locally" : g.version() + (g.label().isEmpty() ? "" : " (" + g.label() + ")"));
                row(out, "installed", g.committedAt() + ", generation " + g.id()
                        + Optional.ofNullable(g.attributes().get("route")).map(r -> " by " + Format.route(r)).orElse(""));
                row(out, "model", Models.describe(g.model()));
            }
            row(out, "records", stats.records() + " in " + stats.tenants() + (stats.tenants() == 1 ? " tenant" : " tenants"));
            row(out, "generations", stats.generationsKept() + " kept" + generations(target.generations(), active));
            if (stats.bytesOnDisk() > 0) {
                row(out, "on disk", Format.bytes(stats.bytesOnDisk()));
            }
            Optional<ClientHome.Remembered> remembered = home.remembered();
            if (remembered.isEmpty()) {
                row(out, "sync", "no sync client state in " + home.directory() + " (run sync first)");
                return Main.OK;
            }
            // Read as saved, not through a client: a client would write its state, which a sync --watch owns.
            Optional<SyncStatus> saved = NylaSync.savedStatus(target, home.directory());
            if (saved.isPresent()) {
                SyncStatus s = saved.get();
                row(out, "source", remembered.get().source());
                row(out, "key id", dev.nyla.sync.artifact.SigningKeys.keyId(remembered.get().key()));
                row(out, "trusted", "version " + s.trustedVersion() + " (never installs lower unless allowed)");
                row(out, "last check", s.lastCheck().map(Object::toString).orElse("never")
                        + s.lastResult().map(r -> ": " + r).orElse(""));
                row(out, "client id", s.clientId());
                List<SyncHistoryEntry> h = s.history();
                for (SyncHistoryEntry e : h.subList(Math.max(0, h.size() - 5), h.size())) {
                    row(out, "history", e.at() + " " + e.kind() + " v" + e.version() + (e.detail().isEmpty() ? "" : ": " + Format.abbreviate(e.detail(), 100)));
                }
            } else {
                row(out, "trusted", "no sync state saved in " + home.directory() + " yet (sync saves it at its first check)");
            }
        }
        return Main.OK;
    }

    private static String generations(List<Generation> all, Optional<Generation> active) {
        StringBuilder sb = new StringBuilder();
        for (Generation g : all) {
            sb.append(sb.isEmpty() ? ": " : ", ").append(g.id()).append(" (v").append(g.version())
                    .append(active.isPresent() && active.get().id() == g.id() ? ", active" : "").append(')');
        }
        return sb.toString();
    }

    static void row(PrintWriter out, String name, String value) {
        out.printf(Locale.ROOT, "%-12s %s%n", name, value);
    }
}
