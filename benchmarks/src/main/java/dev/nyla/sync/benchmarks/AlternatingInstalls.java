package dev.nyla.sync.benchmarks;

import java.util.Arrays;

/**
 * The install ratios of {@link InstallBenchmark} and {@link DeltaInstallBenchmark} measured in one JVM, the op
 * and its baseline alternating, so that both see the same JIT state and the same moment of a shared machine
 * (JMH runs each benchmark method in a fork of its own, one after the other). Prints the medians and their
 * ratio.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp benchmarks/target/benchmarks.jar \
 *     dev.nyla.sync.benchmarks.AlternatingInstalls prebuilt 30        # lucenePrebuilt against both physical limits
 * ... AlternatingInstalls delta 40 0.01                                  # deltaPrebuilt against fullPrebuilt
 * </pre>
 */
public final class AlternatingInstalls {
    private AlternatingInstalls() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2 || !(args[0].equals("prebuilt") || args[0].equals("delta"))) {
            System.err.println("usage: AlternatingInstalls prebuilt <pairs> | delta <pairs> [changed, default 0.01]");
            System.exit(2);
        }
        int pairs = Integer.parseInt(args[1]);
        long[] op = new long[pairs];
        long[] baseline = new long[pairs];
        if (args[0].equals("prebuilt")) {
            long[] overlapped = new long[pairs];
            InstallBenchmark b = new InstallBenchmark();
            b.size = 100_000;
            b.publish();
            for (int i = -3; i < pairs; i++) { // three warm-up rounds
                b.clean();
                long t0 = System.nanoTime();
                b.physicalLimit();
                long t1 = System.nanoTime();
                b.closeTarget();
                b.clean();
                long t2 = System.nanoTime();
                b.lucenePrebuilt();
                long t3 = System.nanoTime();
                b.closeTarget();
                b.clean();
                long t4 = System.nanoTime();
                b.physicalLimitOverlapped();
                long t5 = System.nanoTime();
                if (i >= 0) {
                    baseline[i] = t1 - t0;
                    op[i] = t3 - t2;
                    overlapped[i] = t5 - t4;
                }
            }
            b.removeFiles();
            report("lucenePrebuilt", op.clone(), "physicalLimit", baseline);
            report("lucenePrebuilt", op, "physicalLimitOverlapped", overlapped);
        } else {
            DeltaInstallBenchmark b = new DeltaInstallBenchmark();
            b.size = 100_000;
            b.changed = args.length > 2 ? Double.parseDouble(args[2]) : 0.01;
            b.publish();
            for (int i = -3; i < pairs; i++) {
                b.installV1();
                long t0 = System.nanoTime();
                b.deltaPrebuilt();
                long t1 = System.nanoTime();
                b.fullPrebuilt();
                long t2 = System.nanoTime();
                b.closeStores();
                if (i >= 0) {
                    op[i] = t1 - t0;
                    baseline[i] = t2 - t1;
                }
            }
            b.removeFiles();
            report("deltaPrebuilt (changed " + b.changed + ")", op, "fullPrebuilt", baseline);
        }
        System.exit(0);
    }

    private static void report(String opName, long[] op, String baselineName, long[] baseline) {
        Arrays.sort(op);
        Arrays.sort(baseline);
        double a = op[op.length / 2] / 1e6;
        double b = baseline[baseline.length / 2] / 1e6;
        System.out.printf("%s median %.1f ms, %s median %.1f ms, ratio %.3f (%d pairs)%n", opName, a, baselineName, b,
                a / b, op.length);
    }
}
