package dev.nyla.sync.benchmarks;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.Similarity;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.artifact.internal.Artifacts;
import dev.nyla.sync.store.Compression;
import dev.nyla.sync.artifact.Delta;
import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.artifact.internal.ManifestCodec;
import dev.nyla.sync.store.PayloadFile;
import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.publish.PublishResult;
import dev.nyla.sync.publish.Publisher;
import dev.nyla.sync.internal.DurableFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The sizes behind the choice of direct deltas (issue 20): a site publishes {@code versions} versions of
 * {@code size} × 384 clustered vectors, each editing {@code changed} of the records (half of the edits in a hot
 * set of 1 % of the records that is edited again and again, half anywhere), with the default delta window.
 * Prints, for clients 1, 2, 5 and 10 versions behind, the bytes each design makes them download:
 * <ul>
 *   <li><b>direct</b>: the one delta from the client's version (what the publisher writes);</li>
 *   <li><b>chain</b>: the deltas from each previous version, applied one after the other (a record edited in
 *       several versions is downloaded each time);</li>
 *   <li><b>cumulative</b>: one delta from the oldest version of the window, which every client in the window
 *       applies (a client one version behind downloads ten versions of edits);</li>
 * </ul>
 * then the bytes each design adds to the site per version, the manifest's size as published (compact JSON,
 * deltas in gzip only), as it would be with a plain copy of every delta or of the previous version's only, and
 * pretty printed as releases before compact manifests wrote it, and the publication time with and without the
 * window. No JMH: the figures are sizes, read once.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar dev.nyla.sync.benchmarks.DeltaWindowSizes [size] [versions] [changed]</pre>
 */
public final class DeltaWindowSizes {
    private static final int[] BEHIND = {1, 2, 5, 10};

    private DeltaWindowSizes() {
    }

    public static void main(String[] args) throws IOException {
        int size = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int versions = args.length > 1 ? Integer.parseInt(args[1]) : 12;
        double changed = args.length > 2 ? Double.parseDouble(args[2]) : 0.01;
        int window = Publisher.DEFAULT_DELTA_WINDOW;
        EmbeddingModel model = new EmbeddingModel("bench", 384, Similarity.COSINE, true, "bench-fingerprint");
        List<List<VectorRecord>> series = series(model, size, versions, changed);
        Path root = Files.createTempDirectory("nyla-delta-window-");
        try {
            KeyPair keys = SigningKeys.generate();
            long t0 = System.nanoTime();
            List<PublishResult> results = publish(series, model, keys, root.resolve("site"), window);
            long windowMillis = (System.nanoTime() - t0) / 1_000_000;
            t0 = System.nanoTime();
            publish(series, model, keys, root.resolve("site-no-deltas"), 0);
            long noDeltaMillis = (System.nanoTime() - t0) / 1_000_000;
            report(results, size, versions, changed, window, windowMillis, noDeltaMillis);
        } finally {
            DurableFiles.deleteRecursively(root);
        }
    }

    /** The records of each version: the first clustered, each next one with {@code changed} of them edited. */
    private static List<List<VectorRecord>> series(EmbeddingModel model, int size, int versions, double changed) {
        List<List<VectorRecord>> series = new ArrayList<>();
        List<VectorRecord> current = Vectors.records(model, Vectors.clustered(size, model.dimension(), 42));
        series.add(current);
        SplittableRandom random = new SplittableRandom(7);
        int edits = (int) Math.round(size * changed);
        int hot = Math.max(1, size / 100);
        for (int v = 2; v <= versions; v++) {
            float[][] fresh = Vectors.morePoints(edits, model.dimension(), 42, v);
            List<VectorRecord> next = new ArrayList<>(current);
            for (int e = 0; e < edits; e++) {
                // The hot set is every 100th record: the pages a team edits week after week.
                int i = e % 2 == 0 ? random.nextInt(hot) * (size / hot) : random.nextInt(size);
                next.set(i, VectorRecord.of(VectorRecord.DEFAULT_TENANT, next.get(i).id(), "chunk " + i + " as of version "
                        + v, Map.of(), model, fresh[e]));
            }
            series.add(next);
            current = next;
        }
        return series;
    }

    private static List<PublishResult> publish(List<List<VectorRecord>> series, EmbeddingModel model, KeyPair keys,
                                               Path site, int window) throws IOException {
        Publisher publisher = Publisher.builder().signingKey(keys).deltaWindow(window).build();
        List<PublishResult> results = new ArrayList<>();
        results.add(publisher.publishRecords(series.get(0), model, site));
        for (int v = 1; v < series.size(); v++) {
            results.add(publisher.publishRecords(series.get(v), model, site, site));
        }
        return results;
    }

    private static void report(List<PublishResult> results, int size, int versions, double changed, int window,
                               long windowMillis, long noDeltaMillis) throws IOException {
        Manifest last = results.get(results.size() - 1).manifest();
        long n = last.version();
        long full = Artifacts.preferredEncoding(last.payload().files()).size();
        System.out.printf(Locale.ROOT, "%,d records x 384, %d versions, %.1f %% edited per version (half in a hot 1 %%), "
                + "window %d; full payload %,d B gzip, %,d B plain%n%n", size, versions, changed * 100, window, full,
                last.payload().files().stream().filter(f -> f.compression() == Compression.NONE).findFirst()
                        .orElseThrow().size());
        System.out.println("| client behind | direct (one delta) | chain (deltas from each previous version) "
                + "| cumulative (one delta from version N-" + window + ") | full |");
        System.out.println("|---|---|---|---|---|");
        long cumulative = gzipSize(last.deltaFrom(n - window).orElseThrow());
        for (int k : BEHIND) {
            long direct = gzipSize(last.deltaFrom(n - k).orElseThrow());
            long chain = 0;
            for (long v = n - k + 1; v <= n; v++) {
                chain += gzipSize(results.get((int) v - 1).manifest().deltaFrom(v - 1).orElseThrow());
            }
            System.out.printf(Locale.ROOT, "| %d | %,d B (%s) | %,d B (%s) | %,d B (%s) | %,d B |%n", k, direct,
                    pct(direct, full), chain, pct(chain, full), cumulative, pct(cumulative, full), full);
        }
        long directSite = last.deltas().stream().mapToLong(DeltaWindowSizes::gzipSize).sum();
        long plainSite = last.deltas().stream().mapToLong(d -> d.files().get(0).uncompressedSize()).sum();
        System.out.printf(Locale.ROOT, "%nsite bytes added by version %d's deltas (gzip): direct %,d B (a plain copy "
                        + "of each would add %,d B), chain %,d B, cumulative %,d B%n", n, directSite, plainSite,
                gzipSize(last.deltaFrom(n - 1).orElseThrow()), cumulative);
        byte[] published = ManifestCodec.write(last);
        Manifest none = withDeltas(last, List.of());
        System.out.printf(Locale.ROOT, "manifest of version %d with %d deltas: %,d B as published (compact JSON, "
                        + "deltas in gzip only); %,d B with a plain copy of the delta from version %d; %,d B with a plain "
                        + "copy of every delta; %,d B with no deltas; pretty printed as earlier releases wrote it, %,d B "
                        + "and %,d B with no deltas%n", n, last.deltas().size(),
                published.length, ManifestCodec.write(withDeltas(last, withPlainCopies(last.deltas(), n - 1))).length,
                n - 1, ManifestCodec.write(withDeltas(last, withPlainCopies(last.deltas(), 1))).length,
                ManifestCodec.write(none).length, prettySize(published), prettySize(ManifestCodec.write(none)));
        System.out.printf(Locale.ROOT, "publishing the %d versions: %,d ms with the window, %,d ms without deltas%n",
                versions, windowMillis, noDeltaMillis);
    }

    /**
     * The size of {@code manifest} as releases before compact manifests wrote it: Jackson's default pretty printer
     * with two-space indentation, every array element on its own line, {@code \n} line ends and a final one.
     */
    private static int prettySize(byte[] manifest) throws IOException {
        ObjectMapper json = new ObjectMapper();
        DefaultPrettyPrinter pretty = new DefaultPrettyPrinter().withObjectIndenter(new DefaultIndenter("  ", "\n"))
                .withArrayIndenter(new DefaultIndenter("  ", "\n"));
        return json.writer(pretty).writeValueAsBytes(json.readTree(manifest)).length + 1;
    }

    private static long gzipSize(Delta d) {
        return Artifacts.preferredEncoding(d.files()).size();
    }

    private static String pct(long part, long whole) {
        return String.format(Locale.ROOT, "%.2f %%", 100.0 * part / whole);
    }

    /**
     * The deltas from {@code fromVersion} on with a plain encoding listed too, as a publisher storing both
     * would list it: a name, size and SHA-256 of the same lengths (for the manifest's size, not to be read).
     */
    private static List<Delta> withPlainCopies(List<Delta> deltas, long fromVersion) {
        return deltas.stream().map(d -> {
            if (d.fromVersion() < fromVersion) {
                return d;
            }
            PayloadFile gz = d.files().get(0);
            String sha = new StringBuilder(gz.sha256()).reverse().toString();
            PayloadFile plain = new PayloadFile(gz.name().replace(gz.sha256(), sha).replace(".nyr.gz", ".nyr"),
                    gz.uncompressedSize(), sha, Compression.NONE, gz.uncompressedSize());
            return new Delta(d.fromVersion(), d.upserts(), d.deletes(), List.of(gz, plain));
        }).toList();
    }

    private static Manifest withDeltas(Manifest m, List<Delta> deltas) {
        return new Manifest(m.formatVersion(), m.channel(), m.version(), m.label(), m.createdAt(), m.expiresAt(),
                m.model(), m.vectorEncoding(), m.payload(), m.nativePayloads(), m.records(), m.tenants(), deltas, m.rollout());
    }
}
