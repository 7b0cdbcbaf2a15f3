package dev.nyla.sync.benchmarks;

import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.Similarity;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.client.BoundedMemoryInstallMain;
import dev.nyla.sync.client.InstallRoute;
import dev.nyla.sync.internal.DurableFiles;
import dev.nyla.sync.lucene.LuceneOptions;
import dev.nyla.sync.lucene.LucenePayloadFormat;
import dev.nyla.sync.publish.Publisher;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The design's memory target, "1M × 384 installed with {@code -Xmx256m}": version 1 of {@code --records}
 * clustered vectors ({@link Vectors#clustered}) and version 2 with 1 % of them edited are published once and
 * kept in the {@linkplain Vectors#dataDirectory() data directory}, then each store is installed from them in
 * a child JVM whose heap is capped at {@code --heap} (serial collector), through the real sync client: the
 * program the bounded-memory contract tests run ({@link BoundedMemoryInstallMain}). Per store two rows: the
 * full install of version 1 into an empty store, then version 2 over it in a second child (so that each
 * row's heap is its own): Lucene from the records (routes {@code FULL_COMPRESSED}, {@code DELTA}), Lucene
 * prebuilt ({@code NATIVE_FULL}, {@code NATIVE_DELTA}), SQLite ({@code FULL_COMPRESSED}, {@code DELTA}).
 *
 * <p>A row passes when the child exits normally having installed by the expected route, the store's
 * generation and its inventory (streamed from the store) both hold every record, and searches for 21 records'
 * own vectors (one of them edited in version 2, searched by its new vector after the delta) find at least
 * half of them among the top 10: a broken install (vectors not under their ids, an index that cannot be
 * searched) finds none, while HNSW is approximate and on these clustered vectors at a million misses some
 * (how many is the row's figure). Each row reports its install time, the child's wall time, and the heap
 * after its collections (see {@link ChildJvm.GcLog}); a child that runs out of memory leaves a heap dump in its
 * work directory. The exit code is 1 when any row fails.
 *
 * <p>Publishing holds both versions in memory ({@link Publisher#publishRecords} takes a list) and builds the
 * Lucene payload's one HNSW graph over all records on the heap, so the publisher runs in a child of its own
 * with {@code --publisher-heap} (default 6g); its heap figures are printed with the table.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp benchmarks/target/benchmarks.jar \
 *     dev.nyla.sync.benchmarks.MillionRecordsBenchmark [--records 1000000] [--heap 256m] [--dimension 384]
 *     [--publisher-heap 6g] [--stores lucene-records,lucene-prebuilt,sqlite] [--timeout-minutes 240]
 *     [--dir DIR] [--keep true]
 * </pre>
 */
public final class MillionRecordsBenchmark {
    private static final long CLUSTER_SEED = 42;
    private static final long EDIT_SEED = 43;
    private static final double CHANGED = 0.01;
    /** Records searched for by their own vectors, spread over the keys; one edited record on top. */
    private static final int PROBES = 20;
    /** The publishing child's mode: {@code --publish-into DIR RECORDS DIMENSION}. */
    private static final String PUBLISH = "--publish-into";
    private static final String PUBLISHER_FIGURES = "publisher.txt";

    /** A store the rows install into: version 1 into an empty store, then version 2 over it. */
    enum Store {
        LUCENE_RECORDS("lucene-records", "Lucene from records", "records", InstallRoute.FULL_COMPRESSED,
                InstallRoute.DELTA),
        LUCENE_PREBUILT("lucene-prebuilt", "Lucene prebuilt", "lucene", InstallRoute.NATIVE_FULL,
                InstallRoute.NATIVE_DELTA),
        SQLITE("sqlite", "SQLite", "records", InstallRoute.FULL_COMPRESSED, InstallRoute.DELTA);

        final String option;
        final String label;
        /** The sites it installs from: {@code <site>-v1}, {@code <site>-v2}. */
        final String site;
        final InstallRoute full;
        final InstallRoute delta;

        Store(String option, String label, String site, InstallRoute full, InstallRoute delta) {
            this.option = option;
            this.label = label;
            this.site = site;
            this.full = full;
            this.delta = delta;
        }

        String location(Path dir) {
            return this == SQLITE ? "jdbc:sqlite:" + dir.resolve("sqlite.db") : "lucene:" + dir.resolve(option);
        }

        static Store of(String option) {
            for (Store s : values()) {
                if (s.option.equals(option)) {
                    return s;
                }
            }
            throw new IllegalArgumentException("--stores: unknown store '" + option
                    + "': expected lucene-records, lucene-prebuilt or sqlite");
        }
    }

    /** The command line. */
    record Settings(int records, int dimension, String heap, String publisherHeap, Set<Store> stores,
                    Duration timeout, Path dir, boolean keep) {
        static Settings parse(String[] args) {
            int records = 1_000_000;
            int dimension = 384;
            String heap = "256m";
            String publisherHeap = "6g";
            Set<Store> stores = EnumSet.allOf(Store.class);
            long timeoutMinutes = 240;
            Path dir = null;
            boolean keep = false;
            for (int i = 0; i < args.length; i++) {
                String name = args[i];
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(name + ": expected a value after it");
                }
                String v = args[++i];
                switch (name) {
                    case "--records" -> records = Integer.parseInt(v);
                    case "--dimension" -> dimension = Integer.parseInt(v);
                    case "--heap" -> heap = v;
                    case "--publisher-heap" -> publisherHeap = v;
                    case "--stores" -> {
                        stores = EnumSet.noneOf(Store.class);
                        for (String s : v.split(",")) {
                            stores.add(Store.of(s.trim()));
                        }
                    }
                    case "--timeout-minutes" -> timeoutMinutes = Long.parseLong(v);
                    case "--dir" -> dir = Path.of(v);
                    case "--keep" -> keep = Boolean.parseBoolean(v);
                    default -> throw new IllegalArgumentException("unknown option " + name + ": expected --records, "
                            + "--dimension, --heap, --publisher-heap, --stores, --timeout-minutes, --dir or --keep");
                }
            }
            if (records < 1_000 || dimension < 1 || timeoutMinutes < 1) {
                throw new IllegalArgumentException("expected --records >= 1000, --dimension >= 1, "
                        + "--timeout-minutes >= 1 but got " + records + ", " + dimension + ", " + timeoutMinutes);
            }
            return new Settings(records, dimension, heap, publisherHeap, stores, Duration.ofMinutes(timeoutMinutes),
                    dir, keep);
        }
    }

    /**
     * One install in a child JVM and what it showed.
     *
     * @param failure why the row failed; empty when it passed
     */
    record Row(String name, InstallRoute expected, String failure, String route, double installSeconds,
               ChildJvm.Run run, long records, long inventory, int probes, int found, int first) {
        boolean passed() {
            return failure.isEmpty();
        }
    }

    private final Settings settings;
    private final Releases.Release release;
    private final Path dir;

    private MillionRecordsBenchmark(Settings settings, Releases.Release release, Path dir) {
        this.settings = settings;
        this.release = release;
        this.dir = dir;
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals(PUBLISH)) {
            publish(Path.of(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]));
            return;
        }
        Settings s = Settings.parse(args);
        requireEmpty(s.dir());
        System.out.println(Machine.describe());
        Releases.Release release = Releases.get("million-" + s.records() + "-" + s.dimension(),
                (out, keys) -> publishInChild(s, out));
        System.out.print(Files.readString(release.host(PUBLISHER_FIGURES)));
        Path dir = s.dir() != null ? Files.createDirectories(s.dir())
                : Files.createTempDirectory(Vectors.dataDirectory(), "million-run-");
        long started = System.nanoTime();
        List<Row> rows;
        try {
            rows = new MillionRecordsBenchmark(s, release, dir).run();
        } finally {
            if (!s.keep()) {
                DurableFiles.deleteRecursively(dir);
            }
        }
        System.out.println();
        System.out.println(table(rows, s));
        System.out.printf(Locale.ROOT, "wall time %.1f s%n", (System.nanoTime() - started) / 1e9);
        if (!rows.stream().allMatch(Row::passed)) {
            System.exit(1);
        }
    }

    /** Refuses a {@code --dir} holding an earlier run's stores, which would not install from empty. */
    private static void requireEmpty(Path dir) throws IOException {
        if (dir != null && Files.isDirectory(dir)) {
            try (Stream<Path> files = Files.list(dir)) {
                if (files.findAny().isPresent()) {
                    throw new IllegalArgumentException("--dir " + dir + ": holds the stores of an earlier run, "
                            + "which would not install from empty: delete it or name another directory");
                }
            }
        }
    }

    /** Publishes the release into {@code out} in a child JVM with the publisher's heap, and keeps its figures. */
    private static void publishInChild(Settings s, Path out) throws IOException {
        ChildJvm.Run p;
        try {
            p = ChildJvm.run(out.resolve("publisher"), s.publisherHeap(), MillionRecordsBenchmark.class.getName(),
                    List.of(PUBLISH, out.toString(), Integer.toString(s.records()), Integer.toString(s.dimension())),
                    s.timeout());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while publishing");
        }
        if (p.exitCode() != 0) {
            throw new IllegalStateException("publishing failed (exit " + p.exitCode() + ", -Xmx" + s.publisherHeap()
                    + "); its output is in " + out.resolve("publisher/child.log") + ":\n" + tail(p.output()));
        }
        ChildJvm.GcLog gc = p.gc();
        Files.writeString(out.resolve(PUBLISHER_FIGURES), String.format(Locale.ROOT,
                "publisher (-Xmx%s): %.0f s; peak heap after GC %s (after a full GC %s), %d collections (%d full), "
                        + "%.1f s paused%n%s", s.publisherHeap(), p.seconds(), mb(gc.peakAfterGc()),
                gc.full() == 0 ? "none" : mb(gc.peakAfterFullGc()), gc.collections(), gc.full(), gc.pauseSeconds(),
                p.output().lines().filter(l -> l.startsWith("published ")).reduce("", (a, b) -> a + "  " + b + "\n")));
    }

    private List<Row> run() throws IOException, InterruptedException {
        List<Row> rows = new ArrayList<>();
        for (Store store : settings.stores()) {
            Row full = install(store, 1, store.full);
            rows.add(full);
            print(full);
            if (full.passed()) {
                Row delta = install(store, 2, store.delta);
                rows.add(delta);
                print(delta);
            } else {
                rows.add(skipped(store.label + " v1 → v2", store.delta));
            }
        }
        return rows;
    }

    private static final Pattern SITE = Pattern.compile(
            "site=\\S+ outcome=(\\S+) route=(\\S+) records=(-?\\d+) seconds=([0-9.]+)");
    private static final Pattern INVENTORY = Pattern.compile("(?m)^inventory=(\\d+)$");
    private static final Pattern PROBED = Pattern.compile("probes=(\\d+) found=(\\d+) first=(\\d+)");

    /** Syncs {@code store} from version {@code version}'s site in a child JVM with the small heap. */
    private Row install(Store store, int version, InstallRoute expected) throws IOException, InterruptedException {
        String name = version == 1 ? store.label + " v1" : store.label + " v1 → v2";
        Path site = release.host(store.site + "-v" + version);
        List<String> args = List.of("--probes", release.host("probes-v" + version + ".bin").toString(),
                store.location(dir), release.host("bench.pub").toString(), dir.resolve(store.option + "-state").toString(),
                site.toString());
        System.out.printf("%s: installing %s into %s with -Xmx%s%n", name, site.getFileName(), store.location(dir),
                settings.heap());
        ChildJvm.Run run = ChildJvm.run(dir.resolve(store.option + "-v" + version), settings.heap(),
                BoundedMemoryInstallMain.class.getName(), args, settings.timeout());
        String out = run.output();
        Matcher site1 = SITE.matcher(out);
        Matcher inventory = INVENTORY.matcher(out);
        Matcher probed = PROBED.matcher(out);
        boolean installed = site1.find();
        String outcome = installed ? site1.group(1) : "none";
        String route = installed ? site1.group(2) : "none";
        long records = installed ? Long.parseLong(site1.group(3)) : -1;
        double seconds = installed ? Double.parseDouble(site1.group(4)) : Double.NaN;
        long listed = inventory.find() ? Long.parseLong(inventory.group(1)) : -1;
        boolean searched = probed.find();
        int probes = searched ? Integer.parseInt(probed.group(1)) : 0;
        int found = searched ? Integer.parseInt(probed.group(2)) : 0;
        int first = searched ? Integer.parseInt(probed.group(3)) : 0;
        String failure;
        if (run.outOfMemory()) {
            failure = "OutOfMemoryError";
        } else if (run.exitCode() == -1) {
            failure = "killed after " + settings.timeout().toMinutes() + " min";
        } else if (run.exitCode() != 0) {
            failure = "exit " + run.exitCode();
        } else if (!outcome.equals("INSTALLED")) {
            failure = "outcome " + outcome;
        } else if (!route.equals(expected.name())) {
            failure = "route " + route;
        } else if (records != settings.records() || listed != settings.records()) {
            failure = "records " + records + ", inventory " + listed + ", expected " + settings.records();
        } else if (!searched || probes == 0 || found * 2 < probes) {
            failure = "search found " + found + " of " + probes + " records by their own vectors";
        } else {
            failure = "";
        }
        if (!failure.isEmpty()) {
            System.out.printf("%s FAILED (%s); the child's output, in %s:%n%s%n", name, failure,
                    dir.resolve(store.option + "-v" + version), tail(out));
        }
        return new Row(name, expected, failure, route, seconds, run, records, listed, probes, found, first);
    }

    private static Row skipped(String name, InstallRoute expected) {
        return new Row(name, expected, "skipped: the full install failed", "none", Double.NaN, null, -1, -1, 0, 0, 0);
    }

    private static void print(Row r) {
        System.out.println(line(r));
    }

    static String table(List<Row> rows, Settings s) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT,
                "%,d records × %d, installs in child JVMs with -Xmx%s -XX:+UseSerialGC%n%n", s.records(),
                s.dimension(), s.heap()));
        b.append("| install | route | result | install time | child JVM | peak heap after GC (after full GC) "
                + "| collections (full), paused | records, inventory | found by own vector (rank 1) |\n");
        b.append("|---|---|---|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            b.append(line(r)).append('\n');
        }
        return b.toString();
    }

    private static String line(Row r) {
        if (r.run() == null) {
            return String.format(Locale.ROOT, "| %s | %s | %s | | | | | | |", r.name(), r.expected(), r.failure());
        }
        ChildJvm.GcLog gc = r.run().gc();
        return String.format(Locale.ROOT, "| %s | %s | %s | %.1f s | %.1f s | %s (%s) | %d (%d), %.1f s | %,d, %,d | %d of %d (%d) |",
                r.name(), r.route(), r.passed() ? "ok" : "**" + r.failure() + "**", r.installSeconds(),
                r.run().seconds(), mb(gc.peakAfterGc()), gc.full() == 0 ? "none" : mb(gc.peakAfterFullGc()),
                gc.collections(), gc.full(),
                gc.pauseSeconds(), r.records(), r.inventory(), r.found(), r.probes(), r.first());
    }

    private static String mb(long bytes) {
        return String.format(Locale.ROOT, "%,d MB", bytes >> 20);
    }

    private static String tail(String output) {
        List<String> lines = output.lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }

    /**
     * The publishing child: version 1 and version 2 ({@value #CHANGED} of the records edited, spread evenly),
     * each into a records-only site ({@code records-v1}, {@code records-v2}, so that a Lucene store installs
     * them from the records) and into a site with the Lucene payload too ({@code lucene-v1}, {@code lucene-v2},
     * the second built on the first), plus each version's probe records.
     */
    private static void publish(Path out, int count, int dimension) throws IOException {
        KeyPair keys = SigningKeys.readKeyPair(out.resolve("bench.key"));
        EmbeddingModel model = new EmbeddingModel("bench", dimension, Similarity.COSINE, true, "bench-fingerprint");
        List<VectorRecord> v1 = Vectors.records(model, Vectors.clustered(count, dimension, CLUSTER_SEED));
        List<VectorRecord> v2 = Vectors.changed(v1, model, CHANGED, CLUSTER_SEED, EDIT_SEED);
        BoundedMemoryInstallMain.writeProbes(out.resolve("probes-v1.bin"), probes(v1));
        BoundedMemoryInstallMain.writeProbes(out.resolve("probes-v2.bin"), probes(v2));
        Publisher records = Publisher.builder().signingKey(keys).build();
        timed("records-v1", () -> records.publishRecords(v1, model, out.resolve("records-v1")));
        timed("records-v2", () -> records.publishRecords(v2, model, out.resolve("records-v2"), out.resolve("records-v1")));
        Publisher lucene = Publisher.builder().signingKey(keys).nativePayload(new LucenePayloadFormat(
                LuceneOptions.DEFAULTS, Files.createDirectories(out.resolve("lucene-work")))).build();
        timed("lucene-v1", () -> lucene.publishRecords(v1, model, out.resolve("lucene-v1")));
        timed("lucene-v2", () -> lucene.publishRecords(v2, model, out.resolve("lucene-v2"), out.resolve("lucene-v1")));
    }

    private interface Step {
        void run() throws IOException;
    }

    private static void timed(String site, Step step) throws IOException {
        long started = System.nanoTime();
        step.run();
        System.out.printf(Locale.ROOT, "published %s in %.0f s%n", site, (System.nanoTime() - started) / 1e9);
    }

    /**
     * {@value #PROBES} records spread over the keys, none of them edited by {@link Vectors#changed} (which
     * edits every 100th from the first), and the edited record 100: in version 2 it is found only by its new
     * vector.
     */
    private static List<VectorRecord> probes(List<VectorRecord> version) {
        List<VectorRecord> out = new ArrayList<>();
        for (int i = 0; i < PROBES; i++) {
            out.add(version.get((int) ((long) version.size() * i / PROBES) + 1));
        }
        out.add(version.get(100));
        return out;
    }
}
