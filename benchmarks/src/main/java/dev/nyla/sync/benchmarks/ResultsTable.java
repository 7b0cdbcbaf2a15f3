package dev.nyla.sync.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Turns a JMH JSON result file ({@code -rf json -rff results.json}) into the Markdown tables of
 * {@code benchmarks/README.md}: per benchmark the median of the measured iterations, mean ± 99.9 % error, the
 * ratio of its time per op to its baseline's in the same run, and the {@link Metrics} figures.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar dev.nyla.sync.benchmarks.ResultsTable results.json</pre>
 *
 * A benchmark's baseline is the method of its class named in {@link #BASELINES} whose parameters all have the
 * same values in the benchmark's.
 */
public final class ResultsTable {
    static final Set<String> BASELINES = Set.of("physicalLimit", "fullPrebuilt", "exactScan", "postgresExact",
            "baselineSortedMerge", "rawOnnxRuntime", "baselineCopySha256", "unbucketedEmbedding");

    private record Row(String cls, String method, Map<String, String> params, String mode, double median,
                       double mean, double error, String unit, Map<String, String> figures) {
        /** Median time per op in ms, whatever the mode, so that ratios compare like with like. */
        double millisPerOp() {
            double perSecond = unit.startsWith("ops/") ? median : 0;
            if (perSecond > 0) {
                return 1000.0 / perSecond;
            }
            return switch (unit) {
                case "s/op" -> median * 1000;
                case "us/op" -> median / 1000;
                default -> median;
            };
        }
    }

    private ResultsTable() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: ResultsTable <jmh-results.json>");
            System.exit(2);
        }
        JsonNode root = new ObjectMapper().readTree(Path.of(args[0]).toFile());
        List<Row> rows = new ArrayList<>();
        for (JsonNode b : root) {
            String full = b.get("benchmark").asText();
            String[] parts = full.split("\\.");
            Map<String, String> params = new LinkedHashMap<>();
            if (b.has("params")) {
                b.get("params").fields().forEachRemaining(e -> params.put(e.getKey(), e.getValue().asText()));
            }
            JsonNode pm = b.get("primaryMetric");
            List<Double> raw = new ArrayList<>();
            for (JsonNode fork : pm.get("rawData")) {
                for (JsonNode v : fork) {
                    raw.add(v.asDouble());
                }
            }
            Map<String, String> figures = new LinkedHashMap<>();
            JsonNode secondary = b.get("secondaryMetrics");
            if (secondary != null) {
                for (Iterator<Map.Entry<String, JsonNode>> it = secondary.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    if (!e.getValue().path("score").isNumber()) {
                        continue; // a profiler's pointer to its output (-prof jfr writes "NaN" and a path)
                    }
                    figures.put(e.getKey(), figure(e.getValue().get("score").asDouble(),
                            e.getValue().get("scoreUnit").asText()));
                }
            }
            rows.add(new Row(parts[parts.length - 2], parts[parts.length - 1], params, b.get("mode").asText(),
                    median(raw), pm.get("score").asDouble(), pm.get("scoreError").asDouble(),
                    pm.get("scoreUnit").asText(), figures));
        }
        String current = null;
        for (Row r : rows) {
            if (!r.cls().equals(current)) {
                current = r.cls();
                System.out.printf(Locale.ROOT, "%n### %s%n%n", current);
                System.out.println("| benchmark | parameters | median | mean ± 99.9 % error | time ÷ baseline | figures |");
                System.out.println("|---|---|---|---|---|---|");
            }
            Row base = baseline(rows, r);
            String ratio = base == null ? "" : base == r ? "1 (baseline)"
                    : String.format(Locale.ROOT, "%.3g", r.millisPerOp() / base.millisPerOp());
            System.out.printf(Locale.ROOT, "| `%s` | %s | %s %s | %s ± %s | %s | %s |%n", r.method(), params(r.params()),
                    number(r.median()), r.unit(), number(r.mean()), Double.isNaN(r.error()) ? "n/a" : number(r.error()),
                    ratio, String.join(", ", r.figures().entrySet().stream()
                            .map(e -> e.getKey() + " " + e.getValue()).toList()));
        }
    }

    private static Row baseline(List<Row> rows, Row r) {
        for (Row b : rows) {
            if (b.cls().equals(r.cls()) && BASELINES.contains(b.method()) && sameShared(b.params(), r.params())) {
                return b;
            }
        }
        return null;
    }

    /** Whether every parameter of the baseline {@code a} has the same value in {@code b}. */
    private static boolean sameShared(Map<String, String> a, Map<String, String> b) {
        for (Map.Entry<String, String> e : a.entrySet()) {
            if (!e.getValue().equals(b.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    private static double median(List<Double> values) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        if (v.length == 0) {
            return Double.NaN;
        }
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static String params(Map<String, String> params) {
        return params.isEmpty() ? "" : String.join(", ", params.entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue()).toList());
    }

    private static String figure(double value, String unit) {
        return switch (unit) {
            case "B" -> value >= 1e6 ? String.format(Locale.ROOT, "%.1f MB", value / 1e6)
                    : String.format(Locale.ROOT, "%,.0f B", value);
            case "MB" -> String.format(Locale.ROOT, "%.0f MB", value);
            case "ratio" -> String.format(Locale.ROOT, "%.3f", value);
            default -> number(value) + " " + unit;
        };
    }

    private static String number(double v) {
        double a = Math.abs(v);
        return a >= 100 ? String.format(Locale.ROOT, "%,.0f", v) : a >= 10 ? String.format(Locale.ROOT, "%.1f", v)
                : String.format(Locale.ROOT, "%.2f", v);
    }
}
