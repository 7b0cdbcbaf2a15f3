package dev.nyla.sync.benchmarks;

import dev.nyla.sync.artifact.DirectoryArtifactSource;
import dev.nyla.sync.client.InstallRoute;
import dev.nyla.sync.client.NylaSync;
import dev.nyla.sync.client.SyncListener;
import dev.nyla.sync.client.SyncResult;
import dev.nyla.sync.lucene.LuceneVectorStore;
import dev.nyla.sync.store.Generation;
import java.io.IOException;
import java.util.Arrays;

/**
 * Where the time of {@link InstallBenchmark#lucenePrebuilt} goes outside the download: each install is cut
 * at the client's events (route started, first file verified, install progress, swapped, completed) and the
 * median of each part is printed, beside the median of {@link InstallBenchmark#physicalLimitOverlapped}
 * measured alternately in the same JVM. The parts besides the download are the fixed cost of an install.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp benchmarks/target/benchmarks.jar \
 *     dev.nyla.sync.benchmarks.InstallPhases 30
 * </pre>
 */
public final class InstallPhases {
    private static final String[] PARTS = {"open the store", "build the client", "manifest and plan", "download",
        "commit (checks, publish, open the reader)", "swap", "record and clean up", "close the client"};

    private InstallPhases() {
    }

    public static void main(String[] args) throws Exception {
        int installs = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        InstallBenchmark b = new InstallBenchmark();
        b.size = 100_000;
        b.publish();
        long[][] parts = new long[PARTS.length][installs];
        long[] total = new long[installs];
        long[] baseline = new long[installs];
        for (int i = -3; i < installs; i++) { // three warm-up rounds
            b.clean();
            long t0 = System.nanoTime();
            b.physicalLimitOverlapped();
            long copy = System.nanoTime() - t0;
            b.clean();
            long[] at = install(b);
            if (i >= 0) {
                baseline[i] = copy;
                for (int p = 0; p < PARTS.length; p++) {
                    parts[p][i] = at[p + 1] - at[p];
                }
                total[i] = at[PARTS.length] - at[0];
            }
        }
        b.removeFiles();
        System.out.printf("physicalLimitOverlapped median %.1f ms%n", median(baseline));
        for (int p = 0; p < PARTS.length; p++) {
            System.out.printf("  %-42s median %6.1f ms%n", PARTS[p], median(parts[p]));
        }
        System.out.printf("lucenePrebuilt median %.1f ms, ratio %.3f (%d installs)%n", median(total),
                median(total) / median(baseline), installs);
        System.exit(0);
    }

    /** One install as {@code lucenePrebuilt} makes it; returns the instants between its parts. */
    private static long[] install(InstallBenchmark b) throws IOException {
        long[] at = new long[PARTS.length + 1];
        at[0] = System.nanoTime();
        try (LuceneVectorStore store = LuceneVectorStore.open(b.workDirectory().resolve("store"))) {
            at[1] = System.nanoTime();
            SyncListener marks = new SyncListener() {
                @Override
                public void routeStarted(InstallRoute route, long downloadBytes) {
                    at[3] = System.nanoTime();
                }

                @Override
                public void verified(String file, long bytes) {
                    if (at[4] == 0) {
                        at[4] = System.nanoTime();
                    }
                }

                @Override
                public void installProgress(long records, long totalRecords, int stagePercent) {
                    at[5] = System.nanoTime();
                }

                @Override
                public void swapped(Generation previous, Generation current) {
                    at[6] = System.nanoTime();
                }
            };
            SyncResult r;
            try (NylaSync sync = NylaSync.builder().source(new DirectoryArtifactSource(b.release().host("with-lucene")))
                    .store(store).stateDirectory(b.workDirectory().resolve("state"))
                    .publicKey(b.release().keys().getPublic()).expectedModel(b.model()).listener(marks).build()) {
                at[2] = System.nanoTime();
                r = sync.checkNow();
                at[7] = System.nanoTime();
            }
            at[8] = System.nanoTime();
            if (r.outcome() != SyncResult.Outcome.INSTALLED || r.route().orElse(null) != InstallRoute.NATIVE_FULL) {
                throw new IllegalStateException("expected an install by NATIVE_FULL but got " + r.outcome() + ": "
                        + r.steps());
            }
        }
        return at;
    }

    private static double median(long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2] / 1e6;
    }
}
