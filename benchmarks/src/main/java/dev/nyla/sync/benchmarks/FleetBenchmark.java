package dev.nyla.sync.benchmarks;

import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.Similarity;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.artifact.internal.Artifacts;
import dev.nyla.sync.artifact.Delta;
import dev.nyla.sync.artifact.DirectoryArtifactSource;
import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.store.Payload;
import dev.nyla.sync.store.PayloadFile;
import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.client.InstallRoute;
import dev.nyla.sync.client.NylaSync;
import dev.nyla.sync.client.SyncResult;
import dev.nyla.sync.lucene.LuceneOptions;
import dev.nyla.sync.lucene.LucenePayloadFormat;
import dev.nyla.sync.lucene.LuceneVectorStore;
import dev.nyla.sync.lucene.SegmentPolicy;
import dev.nyla.sync.publish.Publisher;
import dev.nyla.sync.internal.DurableFiles;
import dev.nyla.sync.store.SearchHit;
import dev.nyla.sync.store.SearchRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.lucene.index.SegmentCommitInfo;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;

/**
 * A fleet's life: {@code --versions} versions of {@code --records} records, each changing a {@code --churn}
 * fraction of them (half edited, a quarter deleted, as many added; picked uniformly at random, the worst case
 * for large segments), published with {@link Publisher#publishRecords} into <em>one</em> site directory (out
 * = previous, like a CDN folder) with the portable records and the Lucene payload. Per version it prints the
 * full payloads, the Lucene payload's segments and deleted documents, what clients 1, 5 and 10 versions behind
 * download on each route, and what the site holds pruned to the last 10 versions. A client follows every
 * version through the real sync client (route {@code NATIVE_DELTA}), so every merge is also installed. At the
 * end: search throughput and recall@10 of the followed index against a freshly merged index of the same
 * records, and a line checking the design's targets.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp benchmarks/target/benchmarks.jar \
 *     dev.nyla.sync.benchmarks.FleetBenchmark [--records 20000] [--versions 100] [--churn 0.01] [--dimension 384]
 *     [--segments-per-tier 10] [--deletes-pct 20] [--max-segments 12] [--queries 500] [--dir DIR]
 * </pre>
 */
public final class FleetBenchmark {
    private static final int[] BEHIND = {1, 5, 10};
    /** The pruning window: versions whose files the site keeps, and the window the "site" column sums. */
    private static final int KEEP = 10;
    private static final long CLUSTER_SEED = 42;
    /** Every how many versions the followed index's search throughput is sampled. */
    private static final int SAMPLE_EVERY = 10;
    /** The candidate floors ({@link LuceneOptions#minCandidates}) the final comparison searches with. */
    private static final int[] CANDIDATE_FLOORS = {0, 50, 100, 200};

    private final Settings settings;
    private final EmbeddingModel model;
    private final Path dir;

    /** The command line. */
    record Settings(int records, int versions, double churn, int dimension, SegmentPolicy segments, int queries,
                    Path dir) {
        static Settings parse(String[] args) {
            int records = 20_000;
            int versions = 100;
            double churn = 0.01;
            int dimension = 384;
            SegmentPolicy segments = SegmentPolicy.DEFAULTS;
            int queries = 500;
            Path dir = null;
            for (int i = 0; i < args.length; i++) {
                String name = args[i];
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(name + ": expected a value after it");
                }
                String v = args[++i];
                switch (name) {
                    case "--records" -> records = Integer.parseInt(v);
                    case "--versions" -> versions = Integer.parseInt(v);
                    case "--churn" -> churn = Double.parseDouble(v);
                    case "--dimension" -> dimension = Integer.parseInt(v);
                    case "--segments-per-tier" -> segments = segments.withSegmentsPerTier(Integer.parseInt(v));
                    case "--deletes-pct" -> segments = segments.withDeletesPctAllowed(Integer.parseInt(v));
                    case "--max-segments" -> segments = segments.withMaxSegments(Integer.parseInt(v));
                    case "--queries" -> queries = Integer.parseInt(v);
                    case "--dir" -> dir = Path.of(v);
                    default -> throw new IllegalArgumentException("unknown option " + name + ": expected --records, "
                            + "--versions, --churn, --dimension, --segments-per-tier, --deletes-pct, --max-segments, "
                            + "--queries or --dir");
                }
            }
            if (records < 100 || versions < 2 || !(churn > 0 && churn < 0.5) || queries < 1) {
                throw new IllegalArgumentException("expected --records >= 100, --versions >= 2, 0 < --churn < 0.5, "
                        + "--queries >= 1 but got " + records + ", " + versions + ", " + churn + ", " + queries);
            }
            return new Settings(records, versions, churn, dimension, segments, queries, dir);
        }
    }

    /** One published version, as the table prints it. */
    record Row(long version, long records, long recordsFull, long luceneFull, int segments, double deleted,
               long[] recordsBehind, long[] luceneBehind, long site, double sizeRatio) {
    }

    private FleetBenchmark(Settings settings, Path dir) {
        this.settings = settings;
        this.dir = dir;
        this.model = new EmbeddingModel("bench", settings.dimension(), Similarity.COSINE, true, "bench-fingerprint");
    }

    public static void main(String[] args) throws IOException {
        Settings s = Settings.parse(args);
        Path dir = s.dir() != null ? Files.createDirectories(s.dir()) : Files.createTempDirectory("nyla-fleet-");
        long started = System.nanoTime();
        try {
            new FleetBenchmark(s, dir).run();
        } finally {
            if (s.dir() == null) {
                DurableFiles.deleteRecursively(dir);
            }
        }
        System.out.printf(Locale.ROOT, "wall time %.1f s%n", (System.nanoTime() - started) / 1e9);
    }

    private void run() throws IOException {
        System.out.println(Machine.describe());
        System.out.printf(Locale.ROOT, "%d records x %d dims, %d versions, churn %.2f %% a version, %s%n",
                settings.records(), settings.dimension(), settings.versions(), settings.churn() * 100,
                settings.segments());
        KeyPair keys = SigningKeys.generate();
        Path site = Files.createDirectories(dir.resolve("site"));
        LucenePayloadFormat format = new LucenePayloadFormat(LuceneOptions.DEFAULTS, settings.segments(),
                Files.createDirectories(dir.resolve("work")));
        Publisher publisher = Publisher.builder().signingKey(keys).nativePayload(format).build();
        Corpus corpus = new Corpus(settings, model);
        List<Manifest> manifests = new ArrayList<>();
        List<Row> rows = new ArrayList<>();
        float[][] queries = Vectors.queries(settings.queries(), settings.dimension(), CLUSTER_SEED);
        Map<Long, Double> sampledQps = new TreeMap<>();
        double freshBytesPerRecord = 0;
        System.out.println();
        System.out.println("| version | records | records full | lucene full | segments | deleted | records 1 / 5 / 10 behind "
                + "| lucene 1 / 5 / 10 behind | lucene 1 behind | site (last 10) | size ÷ fresh (est.) |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
        try (LuceneVectorStore follower = LuceneVectorStore.open(dir.resolve("client"));
             NylaSync sync = NylaSync.builder().source(new DirectoryArtifactSource(site)).store(follower)
                     .stateDirectory(dir.resolve("client-state")).publicKey(keys.getPublic()).expectedModel(model)
                     .build()) {
            for (int v = 1; v <= settings.versions(); v++) {
                List<VectorRecord> records = v == 1 ? corpus.current() : corpus.next(v);
                Manifest m = (v == 1 ? publisher.publishRecords(records, model, site)
                        : publisher.publishRecords(records, model, site, site)).manifest();
                manifests.add(m);
                prune(site, manifests);
                Payload lucene = m.nativePayload(LucenePayloadFormat.KIND).orElseThrow();
                long luceneFull = size(lucene.files());
                if (v == 1) {
                    freshBytesPerRecord = (double) luceneFull / m.records();
                }
                SyncResult r = sync.checkNow();
                long[] luceneBehind = behind(manifests, FleetBenchmark::luceneBytes);
                long expectedBytes = v == 1 ? luceneFull : luceneBehind[0];
                // A version that rewrote every segment shares no file with the previous one: a full download.
                InstallRoute expected = expectedBytes == luceneFull ? InstallRoute.NATIVE_FULL : InstallRoute.NATIVE_DELTA;
                if (r.outcome() != SyncResult.Outcome.INSTALLED || r.route().orElse(null) != expected
                        || r.bytesDownloaded() != expectedBytes) {
                    throw new IllegalStateException("version " + v + ": expected an install by " + expected + " of "
                            + expectedBytes + " bytes but got " + r.outcome() + " " + r.route() + " of "
                            + r.bytesDownloaded() + " bytes: " + r.steps());
                }
                Shape shape = shape(site, lucene, dir.resolve("shape"));
                Row row = new Row(v, m.records(), Artifacts.preferredEncoding(m.payload().files()).size(), luceneFull,
                        shape.segments(), shape.deletedFraction(), behind(manifests, FleetBenchmark::recordsBytes),
                        luceneBehind, siteBytes(manifests), luceneFull / (freshBytesPerRecord * m.records()));
                rows.add(row);
                print(row);
                if (v % SAMPLE_EVERY == 0) {
                    searchAll(follower::search, queries); // warm-up: each version is a new reader, new segments
                    sampledQps.put((long) v, searchAll(follower::search, queries));
                }
            }
            Manifest last = manifests.get(manifests.size() - 1);
            System.out.println();
            Comparison search = compareSearch(corpus, keys, queries);
            summary(rows, last, search, sampledQps);
        }
    }

    /** What one version's Lucene payload is made of. */
    record Shape(int segments, long docs, long deleted) {
        double deletedFraction() {
            return docs == 0 ? 0 : (double) deleted / docs;
        }
    }

    /** Reads the payload's last commit from links to its files under their index names. */
    private static Shape shape(Path site, Payload lucene, Path scratch) throws IOException {
        DurableFiles.deleteRecursively(scratch);
        Files.createDirectories(scratch);
        for (PayloadFile f : lucene.files()) {
            // lucene-<64 hex>-<index file name>
            String indexName = f.name().substring("lucene-".length() + 64 + 1);
            Files.createLink(scratch.resolve(indexName), site.resolve(f.name()));
        }
        try (Directory d = FSDirectory.open(scratch)) {
            SegmentInfos infos = SegmentInfos.readLatestCommit(d);
            long docs = 0;
            long deleted = 0;
            for (SegmentCommitInfo si : infos) {
                docs += si.info.maxDoc();
                deleted += si.getDelCount();
            }
            return new Shape(infos.size(), docs, deleted);
        } finally {
            DurableFiles.deleteRecursively(scratch);
        }
    }

    /** Bytes a client at version {@code from} downloads to reach {@code to}. */
    @FunctionalInterface
    private interface Route {
        long bytes(Manifest to, Manifest from);
    }

    /** The records route: the delta from the client's version that the manifest names, else the full payload. */
    private static long recordsBytes(Manifest to, Manifest from) {
        return to.deltaFrom(from.version()).map(Delta::files).map(Artifacts::preferredEncoding)
                .orElse(Artifacts.preferredEncoding(to.payload().files())).size();
    }

    /** The Lucene route: the files of the new payload that the client's version does not name. */
    private static long luceneBytes(Manifest to, Manifest from) {
        Set<String> held = new HashSet<>();
        from.nativePayload(LucenePayloadFormat.KIND).ifPresent(p -> p.files().forEach(f -> held.add(f.name())));
        return to.nativePayload(LucenePayloadFormat.KIND).orElseThrow().files().stream()
                .filter(f -> !held.contains(f.name())).mapToLong(PayloadFile::size).sum();
    }

    /** Bytes for clients {@link #BEHIND} versions behind the last manifest; -1 where there was no such version. */
    private static long[] behind(List<Manifest> manifests, Route route) {
        long[] out = new long[BEHIND.length];
        Manifest to = manifests.get(manifests.size() - 1);
        for (int i = 0; i < BEHIND.length; i++) {
            int from = manifests.size() - 1 - BEHIND[i];
            out[i] = from < 0 ? -1 : route.bytes(to, manifests.get(from));
        }
        return out;
    }

    /** The distinct files the last {@link #KEEP} manifests name: what a pruned site holds, manifest aside. */
    private static long siteBytes(List<Manifest> manifests) {
        Map<String, Long> files = new HashMap<>();
        for (Manifest m : window(manifests)) {
            named(m).forEach(f -> files.put(f.name(), f.size()));
        }
        return files.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Removes the files no manifest of the window names, so that the site stays a window's size on disk. */
    private static void prune(Path site, List<Manifest> manifests) throws IOException {
        Set<String> keep = new HashSet<>(Set.of(Manifest.FILE_NAME, Manifest.SIGNATURE_FILE_NAME));
        for (Manifest m : window(manifests)) {
            named(m).forEach(f -> keep.add(f.name()));
        }
        try (Stream<Path> files = Files.list(site)) {
            for (Path p : files.toList()) {
                if (Files.isRegularFile(p) && !keep.contains(p.getFileName().toString())) {
                    Files.delete(p);
                }
            }
        }
    }

    private static List<Manifest> window(List<Manifest> manifests) {
        return manifests.subList(Math.max(0, manifests.size() - KEEP), manifests.size());
    }

    private static Stream<PayloadFile> named(Manifest m) {
        return Stream.of(m.payload().files().stream(), m.deltas().stream().flatMap(d -> d.files().stream()),
                m.nativePayloads().stream().flatMap(p -> p.files().stream())).flatMap(s -> s);
    }

    private static long size(List<PayloadFile> files) {
        return files.stream().mapToLong(PayloadFile::size).sum();
    }

    private static void print(Row r) {
        System.out.printf(Locale.ROOT, "| %d | %,d | %s | %s | %d | %.1f %% | %s | %s | %.2f %% | %s | %.3f |%n", r.version(),
                r.records(), mb(r.recordsFull()), mb(r.luceneFull()), r.segments(), r.deleted() * 100,
                triple(r.recordsBehind()), triple(r.luceneBehind()),
                r.version() == 1 ? 0 : 100.0 * r.luceneBehind()[0] / r.luceneFull(), mb(r.site()), r.sizeRatio());
        System.out.flush();
    }

    private static String triple(long[] bytes) {
        return String.join(" / ", Arrays.stream(bytes).mapToObj(b -> b < 0 ? "–" : mb(b)).toList());
    }

    private static String mb(long bytes) {
        return String.format(Locale.ROOT, "%.2f MB", bytes / 1e6);
    }

    /** Throughput and recall of one index on the queries, searched with a candidate floor. */
    record Search(int minCandidates, double queriesPerSecond, double recall) {
    }

    /**
     * The followed and the fresh index searched with the same options and queries, alternately so that drift
     * hits both alike, at several candidate floors: a recall-throughput curve for each.
     */
    record Comparison(long freshBytes, List<Search> followed, List<Search> fresh) {
        Search followedAtDefaults() {
            return at(followed, LuceneOptions.DEFAULTS.minCandidates());
        }

        Search freshAtDefaults() {
            return at(fresh, LuceneOptions.DEFAULTS.minCandidates());
        }

        /** The recall both are compared at: the fresh index's at the defaults. */
        double recall() {
            return freshAtDefaults().recall();
        }

        /** The followed index's fastest setting whose recall is at least {@link #recall()}. */
        Search followedAtRecall() {
            return fastestAt(followed, recall()).orElse(followedAtDefaults());
        }

        /** The fresh index's fastest setting whose recall is at least {@link #recall()}. */
        Search freshAtRecall() {
            return fastestAt(fresh, recall()).orElseThrow();
        }

        private static java.util.Optional<Search> fastestAt(List<Search> curve, double recall) {
            return curve.stream().filter(s -> s.recall() >= recall)
                    .max(java.util.Comparator.comparingDouble(Search::queriesPerSecond));
        }

        private static Search at(List<Search> curve, int minCandidates) {
            return curve.stream().filter(s -> s.minCandidates() == minCandidates).findFirst().orElseThrow();
        }
    }

    /** A store's search, read-only or not. */
    @FunctionalInterface
    private interface Searching {
        List<SearchHit> search(SearchRequest request) throws IOException;
    }

    private Comparison compareSearch(Corpus corpus, KeyPair keys, float[][] queries) throws IOException {
        List<VectorRecord> last = corpus.current();
        // The fresh index: the same records published from scratch, merged into one segment.
        Path freshSite = Files.createDirectories(dir.resolve("fresh-site"));
        Publisher.builder().signingKey(keys).nativePayload(new LucenePayloadFormat(LuceneOptions.DEFAULTS,
                settings.segments(), Files.createDirectories(dir.resolve("work")))).build()
                .publishRecords(last, model, freshSite);
        Manifest freshManifest = Artifacts.fetchVerifiedManifest(new DirectoryArtifactSource(freshSite),
                List.of(keys.getPublic()));
        try (LuceneVectorStore fresh = LuceneVectorStore.open(dir.resolve("fresh-client"));
             NylaSync sync = NylaSync.builder().source(new DirectoryArtifactSource(freshSite)).store(fresh)
                     .stateDirectory(dir.resolve("fresh-state")).publicKey(keys.getPublic()).expectedModel(model)
                     .build()) {
            SyncResult r = sync.checkNow();
            if (r.outcome() != SyncResult.Outcome.INSTALLED) {
                throw new IllegalStateException("fresh index: " + r.steps());
            }
        }
        float[][] vectors = new float[last.size()][];
        String[] ids = new String[last.size()];
        for (int i = 0; i < vectors.length; i++) {
            vectors[i] = last.get(i).vector();
            ids[i] = last.get(i).id();
        }
        List<Set<String>> exact = new ArrayList<>();
        for (float[] q : queries) {
            Set<String> top = new HashSet<>();
            for (int i : Exact.topK(vectors, q, 10)) {
                top.add(ids[i]);
            }
            exact.add(top);
        }
        List<Search> followedCurve = new ArrayList<>();
        List<Search> freshCurve = new ArrayList<>();
        System.out.println("| minCandidates | followed q/s | followed recall@10 | fresh q/s | fresh recall@10 |");
        System.out.println("|---|---|---|---|---|");
        for (int floor : CANDIDATE_FLOORS) {
            LuceneOptions options = LuceneOptions.DEFAULTS.withMinCandidates(floor);
            try (var followed = LuceneVectorStore.openReadOnly(dir.resolve("client"), options);
                 var fresh = LuceneVectorStore.openReadOnly(dir.resolve("fresh-client"), options)) {
                double recallFollowed = recall(followed::search, queries, exact);
                double recallFresh = recall(fresh::search, queries, exact);
                for (int warm = 0; warm < 2; warm++) {
                    searchAll(followed::search, queries);
                    searchAll(fresh::search, queries);
                }
                int rounds = 7;
                double[] followedQps = new double[rounds];
                double[] freshQps = new double[rounds];
                for (int i = 0; i < rounds; i++) {
                    followedQps[i] = searchAll(followed::search, queries);
                    freshQps[i] = searchAll(fresh::search, queries);
                }
                Search a = new Search(floor, median(followedQps), recallFollowed);
                Search b = new Search(floor, median(freshQps), recallFresh);
                followedCurve.add(a);
                freshCurve.add(b);
                System.out.printf(Locale.ROOT, "| %d | %.0f | %.4f | %.0f | %.4f |%n", floor, a.queriesPerSecond(),
                        a.recall(), b.queriesPerSecond(), b.recall());
            }
        }
        long freshBytes = size(freshManifest.nativePayload(LucenePayloadFormat.KIND).orElseThrow().files());
        return new Comparison(freshBytes, followedCurve, freshCurve);
    }

    private static double recall(Searching store, float[][] queries, List<Set<String>> exact) throws IOException {
        double sum = 0;
        for (int q = 0; q < queries.length; q++) {
            Set<String> truth = exact.get(q);
            List<SearchHit> hits = store.search(SearchRequest.of(VectorRecord.DEFAULT_TENANT, queries[q], 10));
            sum += hits.stream().filter(h -> truth.contains(h.id())).count() / 10.0;
        }
        return sum / queries.length;
    }

    /** Queries per second of one pass over {@code queries}, one thread. */
    private static double searchAll(Searching store, float[][] queries) throws IOException {
        long t0 = System.nanoTime();
        int found = 0;
        for (float[] q : queries) {
            found += store.search(SearchRequest.of(VectorRecord.DEFAULT_TENANT, q, 10)).size();
        }
        long elapsed = System.nanoTime() - t0;
        if (found == 0) {
            throw new IllegalStateException("no search found anything");
        }
        return queries.length / (elapsed / 1e9);
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private void summary(List<Row> rows, Manifest last, Comparison search, Map<Long, Double> sampledQps) {
        List<Row> later = rows.subList(1, rows.size());
        int maxSegments = rows.stream().mapToInt(Row::segments).max().orElseThrow();
        double maxRatio = rows.stream().mapToDouble(Row::sizeRatio).max().orElseThrow();
        double maxDeleted = rows.stream().mapToDouble(Row::deleted).max().orElseThrow();
        double meanLucenePct = later.stream().mapToDouble(r -> 100.0 * r.luceneBehind()[0] / r.luceneFull()).average()
                .orElseThrow();
        double meanLuceneBytes = later.stream().mapToLong(r -> r.luceneBehind()[0]).average().orElseThrow();
        double meanRecordsPct = later.stream().mapToDouble(r -> 100.0 * r.recordsBehind()[0] / r.recordsFull())
                .average().orElseThrow();
        long finalLucene = rows.get(rows.size() - 1).luceneFull();
        double finalRatio = (double) finalLucene / search.freshBytes();
        Search followed = search.followedAtDefaults();
        Search fresh = search.freshAtDefaults();
        Search followedAtRecall = search.followedAtRecall();
        Search freshAtRecall = search.freshAtRecall();
        double qpsRatio = followedAtRecall.queriesPerSecond() / freshAtRecall.queriesPerSecond();
        System.out.printf(Locale.ROOT, "final index (v%d, %d segments) vs fresh (1 segment): %s vs %s = %.3f x; search "
                        + "at the defaults %.0f vs %.0f q/s = %.2f x, recall@10 %.4f vs %.4f; each at its fastest floor "
                        + "with recall >= %.4f (%d vs %d): %.0f vs %.0f q/s = %.2f x%n", last.version(),
                rows.get(rows.size() - 1).segments(), mb(finalLucene), mb(search.freshBytes()), finalRatio,
                followed.queriesPerSecond(), fresh.queriesPerSecond(), followed.queriesPerSecond() / fresh.queriesPerSecond(),
                followed.recall(), fresh.recall(), search.recall(), followedAtRecall.minCandidates(),
                freshAtRecall.minCandidates(), followedAtRecall.queriesPerSecond(), freshAtRecall.queriesPerSecond(),
                qpsRatio);
        StringBuilder over = new StringBuilder("search over the versions at the defaults, q/s of the followed index ÷ "
                + "fresh (segments):");
        sampledQps.forEach((v, qps) -> over.append(String.format(Locale.ROOT, " v%d %.2f (%d)", v,
                qps / fresh.queriesPerSecond(), rows.get((int) (v - 1)).segments())));
        System.out.println(over);
        System.out.printf(Locale.ROOT, "mean per version (1 behind): lucene %s = %.2f %% of its full payload; "
                + "records %.2f %% of theirs; max deleted %.1f %%%n", mb(Math.round(meanLuceneBytes)), meanLucenePct,
                meanRecordsPct, maxDeleted * 100);
        System.out.printf(Locale.ROOT, "targets: segments max %d (<= 12: %s) | size max %.3f x est., final %.3f x "
                        + "(<= 1.25: %s) | lucene bytes/version %.2f %% (<= 3 %%: %s) | search %.2f x at recall %.4f "
                        + "(>= 0.8: %s)%n", maxSegments, ok(maxSegments <= 12), maxRatio, finalRatio,
                ok(maxRatio <= 1.25 && finalRatio <= 1.25), meanLucenePct, ok(meanLucenePct <= 3), qpsRatio,
                search.recall(), ok(qpsRatio >= 0.8));
    }

    private static String ok(boolean met) {
        return met ? "met" : "MISSED";
    }

    /**
     * The records of every version: version 1 is {@link Vectors#clustered}; each later version edits, deletes
     * and adds records picked with a seed of its number, new vectors drawn from the same clusters.
     */
    static final class Corpus {
        private final Settings settings;
        private final EmbeddingModel model;
        private final TreeMap<String, VectorRecord> byId = new TreeMap<>();
        private final List<String> ids = new ArrayList<>();
        private int nextId;

        Corpus(Settings settings, EmbeddingModel model) {
            this.settings = settings;
            this.model = model;
            float[][] vectors = Vectors.clustered(settings.records(), settings.dimension(), CLUSTER_SEED);
            for (VectorRecord r : Vectors.records(model, vectors)) {
                byId.put(r.id(), r);
                ids.add(r.id());
            }
            nextId = vectors.length;
        }

        /** The records of the latest version, in key order. */
        List<VectorRecord> current() {
            return new ArrayList<>(byId.values());
        }

        /** Version {@code v}: {@code churn × records} changes, half edits, a quarter deletions, a quarter additions. */
        List<VectorRecord> next(int v) {
            int changes = (int) Math.round(settings.churn() * settings.records());
            int deletes = changes / 4;
            int adds = deletes;
            int edits = changes - deletes - adds;
            SplittableRandom random = new SplittableRandom(1_000L + v);
            float[][] fresh = Vectors.morePoints(edits + adds, settings.dimension(), CLUSTER_SEED, 1_000L + v);
            Set<String> touched = new HashSet<>();
            Deque<float[]> vectors = new ArrayDeque<>(Arrays.asList(fresh));
            for (int i = 0; i < edits; i++) {
                String id = pick(random, touched);
                byId.put(id, VectorRecord.of(VectorRecord.DEFAULT_TENANT, id, "chunk " + id + " as of v" + v, Map.of(),
                        model, vectors.pop()));
            }
            for (int i = 0; i < deletes; i++) {
                String id = pick(random, touched);
                byId.remove(id);
                int at = ids.indexOf(id);
                ids.set(at, ids.get(ids.size() - 1));
                ids.remove(ids.size() - 1);
            }
            for (int i = 0; i < adds; i++) {
                String id = Vectors.id(nextId++);
                byId.put(id, VectorRecord.of(VectorRecord.DEFAULT_TENANT, id, "chunk " + id + " added in v" + v,
                        Map.of(), model, vectors.pop()));
                ids.add(id);
                touched.add(id);
            }
            return current();
        }

        private String pick(SplittableRandom random, Set<String> touched) {
            while (true) {
                String id = ids.get(random.nextInt(ids.size()));
                if (touched.add(id)) {
                    return id;
                }
            }
        }
    }
}
