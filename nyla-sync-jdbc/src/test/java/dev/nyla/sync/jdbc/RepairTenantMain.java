package dev.nyla.sync.jdbc;

import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.embed.Embedder;
import dev.nyla.sync.demo.HashingEmbedder;
import dev.nyla.sync.reconcile.Reconciler;
import dev.nyla.sync.reconcile.SyncReport;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import javax.sql.DataSource;

/**
 * A child JVM for {@link SameTenantRepairProcessesTest}: one application instance syncing one tenant of the
 * PostgreSQL store with prefix {@code args[0]} from table {@code args[1]}. Arguments: prefix, table, tenant,
 * lock timeout in milliseconds, temporary directory, and how many embedding batches to write before holding.
 *
 * <p>It embeds and writes {@value #BATCH} records at a time. With a positive hold count it prints
 * {@code holding <records written>} when the embedder is asked for the batch after that many — it then holds
 * the tenant's repair lock and has written part of the repair — and waits until a line arrives on its standard
 * input (or the input ends). At the end it prints {@code outcome=<o> embedded=<n> failure=<exception>}.
 */
public final class RepairTenantMain {
    static final int BATCH = 5;

    private RepairTenantMain() {
    }

    public static void main(String[] args) throws Exception {
        String prefix = args[0];
        String table = args[1];
        String tenant = args[2];
        Duration lockTimeout = Duration.ofMillis(Long.parseLong(args[3]));
        int holdAfter = Integer.parseInt(args[5]);
        DataSource ds = new DriverDataSource(TestDatabases.POSTGRES_URL);
        try (JdbcVectorStore store = JdbcVectorStore.open(ds, Databases.POSTGRES.options(prefix))) {
            Reconciler reconciler = Reconciler.builder().store(store).source(ReconcileMain.profiles(ds, table))
                    .embedder(new Holding(new HashingEmbedder(16), holdAfter))
                    .embedBatchSize(BATCH).writeBatchSize(BATCH)
                    .lockTimeout(lockTimeout)
                    .tempDirectory(Path.of(args[4]))
                    .build();
            SyncReport r = reconciler.sync(tenant, false);
            System.out.println("outcome=" + r.outcome() + " embedded=" + r.embedded() + " failure="
                    + r.failure().map(e -> e.getClass().getSimpleName() + ": " + e.getMessage()).orElse("none"));
            System.out.flush();
        }
    }

    /** Holds on the embedding call after {@code holdAfter} batches, until the parent says go. */
    private static final class Holding implements Embedder {
        private final Embedder delegate;
        private final int holdAfter;
        private int calls;

        Holding(Embedder delegate, int holdAfter) {
            this.delegate = delegate;
            this.holdAfter = holdAfter;
        }

        @Override
        public EmbeddingModel model() {
            return delegate.model();
        }

        @Override
        public List<float[]> embed(List<String> texts) throws IOException {
            if (holdAfter > 0 && calls++ == holdAfter) {
                // The reconciler writes a batch once it is embedded: holdAfter batches are in the store now.
                System.out.println("holding " + holdAfter * BATCH);
                System.out.flush();
                new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            }
            return delegate.embed(texts);
        }
    }
}
