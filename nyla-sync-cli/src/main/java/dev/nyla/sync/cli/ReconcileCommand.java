package dev.nyla.sync.cli;

import dev.nyla.sync.embed.Embedder;
import dev.nyla.sync.jdbc.JdbcSource;
import dev.nyla.sync.corpus.Corpus;
import dev.nyla.sync.corpus.CorpusException;
import dev.nyla.sync.reconcile.CorpusSource;
import dev.nyla.sync.reconcile.Drift;
import dev.nyla.sync.reconcile.ReconcileListener;
import dev.nyla.sync.reconcile.ReconcileSummary;
import dev.nyla.sync.reconcile.Reconciler;
import dev.nyla.sync.reconcile.SourceOfTruth;
import dev.nyla.sync.reconcile.SyncReport;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.VectorStore;
import dev.nyla.sync.store.VectorStores;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code nyla-sync reconcile}: compare a store with its source of truth, and repair it. */
@Command(name = "reconcile", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Compare a store with its source of truth (a SQL query or a corpus), per tenant: records "
                + "missing from the store, stale records whose source is gone, and records whose content changed. "
                + "--sync repairs them: embeds only what is missing or changed, writes before it deletes, and "
                + "checks again.",
                "Exit 0 when in sync (or synced), 1 when a tenant failed, 3 when --check found drift."})
final class ReconcileCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--store", required = true, paramLabel = "<uri>", description = "The store to reconcile.")
    String store;

    @Option(names = "--source", required = true, paramLabel = "<jdbc-url|corpus>",
            description = "The source of truth: a JDBC URL (with --source-query) or a corpus (JSONL file or directory).")
    String source;

    @Option(names = "--source-query", paramLabel = "<sql>", description = "With a JDBC source: the records query, "
            + "columns id, text, optional metadata (JSON) and others as metadata; :tenant where the tenant goes.")
    String sourceQuery;

    @Option(names = "--tenants-query", paramLabel = "<sql>", description = "With a JDBC source: the query listing "
            + "the tenants in its first column; required with --all when --source-query uses :tenant.")
    String tenantsQuery;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Mode mode;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Scope scope;

    @Option(names = "--force", description = "With --sync: re-embed and rewrite every record even when in sync.")
    boolean force;

    @Option(names = "--model", paramLabel = "<model>", description = "The embedding model for --sync (default: the model "
            + "of the store's active version, or 'default' for an empty store): " + Models.SYNTAX + ".")
    String model;

    static final class Mode {
        @Option(names = "--check", required = true, description = "Report drift; change nothing.")
        boolean check;

        @Option(names = "--sync", required = true, description = "Repair drift.")
        boolean sync;
    }

    static final class Scope {
        @Option(names = "--tenant", required = true, paramLabel = "<id>", description = "One tenant.")
        String tenant;

        @Option(names = "--all", required = true, description = "Every tenant of the source and of the store.")
        boolean all;
    }

    private PrintWriter out;

    @Override
    public Integer call() throws Exception {
        out = spec.commandLine().getOut();
        if (force && !mode.sync) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--force goes with --sync");
        }
        try (VectorStore target = VectorStores.open(store);
             SourceOfTruth truth = openSource();
             Embedder embedder = mode.sync ? embedder(target) : null) {
            Reconciler.Builder builder = Reconciler.builder().store(target).source(truth).listener(new Printer());
            if (embedder != null) {
                builder.embedder(embedder);
            }
            Reconciler reconciler = builder.build();
            out.println((mode.sync ? "syncing " : "checking ") + target.location() + " against " + truth.describe());
            ReconcileSummary summary;
            if (scope.all) {
                summary = mode.sync ? reconciler.syncAll(force) : reconciler.checkAll();
            } else if (mode.sync) {
                SyncReport r = reconciler.sync(scope.tenant, force);
                summary = new ReconcileSummary(1, r.outcome() == SyncReport.Outcome.IN_SYNC ? 1 : 0,
                        r.outcome() == SyncReport.Outcome.IN_SYNC ? 0 : 1, r.outcome() == SyncReport.Outcome.SYNCED ? 1 : 0,
                        r.outcome() == SyncReport.Outcome.FAILED ? 1 : 0,
                        r.failure().map(e -> List.of(new ReconcileSummary.TenantFailure(scope.tenant, e))).orElse(List.of()),
                        r.timings().total());
            } else {
                Drift d = reconciler.check(scope.tenant);
                summary = new ReconcileSummary(1, d.inSync() ? 1 : 0, d.inSync() ? 0 : 1, 0, 0, List.of(), d.took());
            }
            out.println();
            out.println("Summary:");
            out.println("  - Tenants checked: " + summary.checked());
            out.println("  - Tenants in sync: " + summary.inSync());
            out.println("  - Tenants out of sync: " + summary.outOfSync());
            if (mode.sync) {
                out.println("  - Tenants synced: " + summary.synced());
            }
            out.println("  - Tenants failed: " + summary.failed());
            out.println("  - Took: " + Format.millis(summary.took()));
            for (ReconcileSummary.TenantFailure f : summary.failures()) {
                spec.commandLine().getErr().println("nyla-sync reconcile: tenant " + f.tenant() + " failed: " + Main.oneLine(f.error()));
            }
            if (summary.failed() > 0) {
                return Main.FAILED;
            }
            return mode.check && summary.outOfSync() > 0 ? Main.OUT_OF_SYNC : Main.OK;
        }
    }

    private SourceOfTruth openSource() throws Exception {
        if (source.startsWith("jdbc:")) {
            if (sourceQuery == null) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "a JDBC --source needs --source-query <sql> (columns id, text, ...; :tenant for the tenant)");
            }
            JdbcSource.Builder b = JdbcSource.builder().url(source).recordsQuery(sourceQuery);
            if (tenantsQuery != null) {
                b.tenantsQuery(tenantsQuery);
            }
            if (sourceQuery.contains(":tenant") && tenantsQuery == null) {
                if (scope.all) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "--all with a --source-query that uses "
                            + ":tenant needs --tenants-query <sql> listing the tenants (e.g. SELECT DISTINCT tenant FROM ...)");
                }
                // One tenant: the tenant list is that tenant (a literal; quotes doubled as SQL escapes them).
                b.tenantsQuery("SELECT '" + scope.tenant.replace("'", "''") + "' AS tenant");
            }
            try {
                return b.build();
            } catch (IllegalStateException | IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
        }
        if (sourceQuery != null || tenantsQuery != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--source-query and --tenants-query go with a jdbc: --source");
        }
        Path path = Path.of(source);
        Corpus corpus = Corpus.read(path);
        if (!corpus.unreadFiles().isEmpty()) {
            out.println("not read: " + PublishCommand.unread(corpus));
        }
        if (corpus.size() == 0 && mode.sync) {
            // Every stored record would be stale and deleted: a mistyped path or a directory of files of other
            // types must not empty a store.
            throw new CorpusException("corpus " + source + ": no records"
                    + (corpus.unreadFiles().isEmpty() ? "" : "; not read: " + PublishCommand.unread(corpus))
                    + "; --sync would delete every record of the store, so nothing was changed");
        }
        return CorpusSource.of("corpus " + path, corpus);
    }

    private Embedder embedder(VectorStore target) throws Exception {
        Optional<Generation> active = target.activeGeneration();
        if (active.isPresent()) {
            return Models.forQueries(active.get().model(), Optional.ofNullable(model));
        }
        return Models.open(model != null ? model : Models.DEFAULT);
    }

    /** Prints each tenant as the original sync script did. */
    private final class Printer implements ReconcileListener {
        @Override
        public void checked(Drift d) {
            synchronized (ReconcileCommand.this) {
                out.println();
                out.println("Tenant " + d.tenant() + ":");
                out.println("  - Source records: " + d.sourceCount());
                out.println("  - Store records: " + d.storeCount());
                out.println("  - Missing from store: " + d.missing() + ids(d.missingIds(), d.missing()));
                out.println("  - Stale in store: " + d.stale() + ids(d.staleIds(), d.stale()));
                out.println("  - Changed: " + d.changed() + ids(d.changedIds(), d.changed()));
                if (d.modelMismatch() > 0) {
                    out.println("  - Embedded by another model: " + d.modelMismatch() + ids(d.modelMismatchIds(), d.modelMismatch()));
                }
                out.println("  - In sync: " + d.inSync());
            }
        }

        @Override
        public void synced(SyncReport r) {
            synchronized (ReconcileCommand.this) {
                switch (r.outcome()) {
                    case IN_SYNC -> out.println("  = tenant " + r.tenant() + " already in sync");
                    case SYNCED -> out.printf(Locale.ROOT, "  = tenant %s synced: %d embedded, %d inserted, %d updated, %d deleted in %d "
                                    + "round(s), %s; verified%n", r.tenant(), r.embedded(), r.inserted(), r.updated(),
                            r.deleted(), r.rounds(), Format.millis(r.timings().total()));
                    case FAILED -> out.println("  ! tenant " + r.tenant() + " failed: "
                            + r.failure().map(Main::oneLine).orElse("unknown"));
                }
            }
        }

        @Override
        public void tenantFailed(String tenant, Exception error) {
            synchronized (ReconcileCommand.this) {
                out.println("  ! tenant " + tenant + " failed: " + Main.oneLine(error));
            }
        }

        private static String ids(List<String> ids, long count) {
            if (ids.isEmpty()) {
                return "";
            }
            String shown = String.join(", ", ids.subList(0, Math.min(5, ids.size())));
            return " (" + shown + (count > 5 ? ", …" : "") + ")";
        }
    }
}
