package dev.nyla.sync.benchmarks;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * The benchmarks jar's entry point: JMH's command line, plus
 * <ul>
 *   <li>the {@link Metrics} profiler on every run (bytes, recall, peak heap as secondary results);</li>
 *   <li>{@code --quick}: the smoke profile (small sizes, one fork, 1 warm-up and 2 measured iterations of
 *       1 s), a few minutes for the whole suite. Options given on the command line win over it.</li>
 * </ul>
 * Listing and help ({@code -l}, {@code -lp}, {@code -h}, ...) go to JMH unchanged.
 */
public final class Main {
    /** Parameter values of the quick profile, applied where a benchmark has the parameter and the user set none. */
    static final Map<String, String[]> QUICK_PARAMS = new LinkedHashMap<>();

    static {
        QUICK_PARAMS.put("size", new String[] {"10000"});
        QUICK_PARAMS.put("records", new String[] {"10000"});
        QUICK_PARAMS.put("changed", new String[] {"0.01"});
        QUICK_PARAMS.put("ids", new String[] {"100000"});
        QUICK_PARAMS.put("batch", new String[] {"8"});
        QUICK_PARAMS.put("overFetch", new String[] {"4"});
        QUICK_PARAMS.put("k", new String[] {"3"});
        QUICK_PARAMS.put("quantization", new String[] {"none"});
        QUICK_PARAMS.put("tenants", new String[] {"4"});
        QUICK_PARAMS.put("data", new String[] {"clustered-10000", "minilm-2000"});
    }

    private static final Set<String> PASS_THROUGH = Set.of("-h", "-l", "-lp", "-lrf", "-lprof");

    private Main() {
    }

    public static void main(String[] args) throws RunnerException, CommandLineOptionException, java.io.IOException {
        List<String> rest = new ArrayList<>();
        boolean quick = false;
        for (String a : args) {
            if (a.equals("--quick")) {
                quick = true;
            } else {
                rest.add(a);
            }
        }
        if (rest.stream().anyMatch(PASS_THROUGH::contains)) {
            org.openjdk.jmh.Main.main(rest.toArray(String[]::new));
            return;
        }
        CommandLineOptions cmd = new CommandLineOptions(rest.toArray(String[]::new));
        ChainedOptionsBuilder options = new OptionsBuilder().parent(cmd).addProfiler(Metrics.class);
        if (quick) {
            if (!cmd.getForkCount().hasValue()) {
                options.forks(1);
            }
            if (!cmd.getWarmupIterations().hasValue()) {
                options.warmupIterations(1);
            }
            if (!cmd.getMeasurementIterations().hasValue()) {
                options.measurementIterations(2);
            }
            if (!cmd.getWarmupTime().hasValue()) {
                options.warmupTime(TimeValue.seconds(1));
            }
            if (!cmd.getMeasurementTime().hasValue()) {
                options.measurementTime(TimeValue.seconds(1));
            }
            QUICK_PARAMS.forEach((name, values) -> {
                if (!cmd.getParameter(name).hasValue()) {
                    options.param(name, values);
                }
            });
        }
        System.out.println(Machine.describe() + " (this JVM; each benchmark prints its fork's line)");
        new Runner(options.build()).run();
    }
}
