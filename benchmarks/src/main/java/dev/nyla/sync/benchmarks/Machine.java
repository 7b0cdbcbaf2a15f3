package dev.nyla.sync.benchmarks;

import dev.nyla.sync.lucene.LuceneVectorStore;
import java.util.Locale;

/** The machine a benchmark ran on, printed at the start of every trial so that results carry it. */
final class Machine {
    private Machine() {
    }

    /** Cores, JDK, heap limit and whether Lucene uses SIMD, on one line. */
    static String describe() {
        Runtime rt = Runtime.getRuntime();
        return String.format(Locale.ROOT, "machine: %d cores, %s, JDK %s (%s), max heap %,d MB, Lucene SIMD %s",
                rt.availableProcessors(), System.getProperty("os.arch"), Runtime.version(),
                System.getProperty("java.vendor"), rt.maxMemory() >> 20,
                LuceneVectorStore.simdEnabled() ? "on (jdk.incubator.vector)" : "OFF (no jdk.incubator.vector)");
    }

    static void print() {
        System.out.println();
        System.out.println(describe());
    }
}
