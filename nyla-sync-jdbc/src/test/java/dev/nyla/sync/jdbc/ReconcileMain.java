package dev.nyla.sync.jdbc;

import dev.nyla.sync.embed.CountingEmbedder;
import dev.nyla.sync.demo.HashingEmbedder;
import dev.nyla.sync.reconcile.ReconcileListener;
import dev.nyla.sync.reconcile.ReconcileSummary;
import dev.nyla.sync.reconcile.Reconciler;
import dev.nyla.sync.reconcile.SyncReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import javax.sql.DataSource;

/**
 * A child JVM for {@link ReconcileProcessesTest}: one application instance reconciling the PostgreSQL store
 * with prefix {@code args[0]} from table {@code args[1]}. It creates {@code args[2]/ready-<args[3]>}, waits
 * until {@code args[4]} such files exist (so that the instances start together), runs
 * {@code syncAll(false)} with concurrency 2, and prints one line per tenant:
 * {@code tenant=<t> outcome=<o> embedded=<n>}. Exits 1 when a tenant failed.
 */
public final class ReconcileMain {
    private ReconcileMain() {
    }

    /** The source the tests read the profiles table through. */
    static JdbcSource profiles(DataSource ds, String table) throws IOException {
        return JdbcSource.builder().dataSource(ds)
                .recordsQuery("SELECT id, body AS text, lang FROM " + table + " WHERE tenant = :tenant")
                .tenantsQuery("SELECT tenant FROM " + table)
                .fetchSize(16)
                .build();
    }

    public static void main(String[] args) throws Exception {
        String prefix = args[0];
        String table = args[1];
        Path dir = Path.of(args[2]);
        String me = args[3];
        int instances = Integer.parseInt(args[4]);
        DataSource ds = new DriverDataSource(TestDatabases.POSTGRES_URL);
        try (JdbcVectorStore store = JdbcVectorStore.open(ds, Databases.POSTGRES.options(prefix))) {
            Reconciler reconciler = Reconciler.builder().store(store).source(profiles(ds, table))
                    .embedder(new CountingEmbedder(new HashingEmbedder(16)))
                    .concurrency(2)
                    .lockTimeout(Duration.ofMinutes(2))
                    .tempDirectory(dir)
                    .listener(new ReconcileListener() {
                        @Override
                        public void synced(SyncReport r) {
                            System.out.println("tenant=" + r.tenant() + " outcome=" + r.outcome() + " embedded="
                                    + r.embedded() + r.failure().map(e -> " failure=" + e).orElse(""));
                        }
                    })
                    .build();
            Files.createFile(dir.resolve("ready-" + me));
            for (int i = 0; i < instances; i++) {
                SidecarLockMain.await(dir.resolve("ready-" + i), null);
            }
            ReconcileSummary summary = reconciler.syncAll(false);
            System.out.println("summary " + summary);
            System.out.flush();
            System.exit(summary.failed() == 0 ? 0 : 1);
        }
    }
}
