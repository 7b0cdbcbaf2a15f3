package dev.nyla.sync.benchmarks;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

/**
 * A JMH profiler that adds secondary results to every iteration, so that they land in JMH's own tables and
 * JSON next to the times: the benchmark's own figures ({@link #report}: bytes moved, recall@k, drift found)
 * and, for single-shot benchmarks, the peak heap.
 *
 * <p>Peak heap is the largest heap in use <em>after</em> a garbage collection during the iteration (live
 * data plus garbage the collector did not reach yet, so an upper bound of what the operation needs), over a
 * baseline taken after a full collection before the iteration. An iteration without any collection reports
 * the heap in use at its end, garbage included. The window is JMH's iteration, so per-invocation setup (such
 * as installing the version a delta starts from) counts too, and a collection's notice arrives
 * asynchronously, so one at an iteration's edge may be credited to its neighbour: a figure to compare
 * orders of magnitude with, not megabytes. {@link Main} adds this profiler to every run.
 */
public final class Metrics implements InternalProfiler {
    private static final Map<String, Figure> FIGURES = new ConcurrentHashMap<>();
    private static final AtomicLong PEAK_AFTER_GC = new AtomicLong();
    private static final AtomicLong COLLECTIONS = new AtomicLong();
    private static volatile boolean listening;

    private record Figure(double value, String unit) {
    }

    /** Sets a figure that every following iteration reports (as its average over iterations). */
    static void report(String name, double value, String unit) {
        FIGURES.put(name, new Figure(value, unit));
    }

    @Override
    public String getDescription() {
        return "nyla-sync figures (bytes, recall) and peak heap after GC";
    }

    private long baseline;
    private String benchmark = "";

    @Override
    public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
        String id = benchmarkParams.id();
        if (!id.equals(benchmark)) {
            FIGURES.clear(); // with -f 0 one JVM runs several benchmarks: never report another's figures
            benchmark = id;
        }
        listen();
        System.gc();
        baseline = used();
        PEAK_AFTER_GC.set(0);
        COLLECTIONS.set(0);
    }

    @Override
    public Collection<? extends Result> afterIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams,
                                                       IterationResult result) {
        long peak = COLLECTIONS.get() > 0 ? Math.max(PEAK_AFTER_GC.get(), baseline) : used();
        List<Result> out = new ArrayList<>();
        // Heap per op means something for single operations (an install), not for a second of 2,000 searches.
        if (benchmarkParams.getMode() == Mode.SingleShotTime) {
            out.add(new ScalarResult("heap.peak", peak / 1048576.0, "MB", AggregationPolicy.MAX));
            out.add(new ScalarResult("heap.peak.overBaseline", Math.max(0, peak - baseline) / 1048576.0, "MB",
                    AggregationPolicy.MAX));
        }
        FIGURES.forEach((name, f) -> out.add(new ScalarResult(name, f.value(), f.unit(), AggregationPolicy.AVG)));
        return out;
    }

    private static long used() {
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        return heap.getUsed();
    }

    private static synchronized void listen() {
        if (listening) {
            return;
        }
        // The collector reports every pool it touched, metaspace and code cache included: keep the heap.
        Set<String> heapPools = new HashSet<>();
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                heapPools.add(pool.getName());
            }
        }
        NotificationListener listener = (Notification n, Object handback) -> {
            if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) {
                return;
            }
            GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
            if ("System.gc()".equals(info.getGcCause()) || info.getGcName().contains("Concurrent")) {
                // The baseline's own collection, whose notice may arrive after the iteration began; and G1's
                // concurrent cycle (remark, cleanup), after which the heap still holds the uncollected eden.
                return;
            }
            long after = 0;
            for (Map.Entry<String, MemoryUsage> pool : info.getGcInfo().getMemoryUsageAfterGc().entrySet()) {
                if (heapPools.contains(pool.getKey())) {
                    after += pool.getValue().getUsed();
                }
            }
            COLLECTIONS.incrementAndGet();
            PEAK_AFTER_GC.accumulateAndGet(after, Math::max);
        };
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (gc instanceof NotificationEmitter emitter) {
                emitter.addNotificationListener(listener, null, null);
            }
        }
        listening = true;
    }
}
