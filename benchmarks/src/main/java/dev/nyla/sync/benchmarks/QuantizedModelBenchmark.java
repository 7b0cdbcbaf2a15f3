package dev.nyla.sync.benchmarks;

import dev.nyla.sync.Similarity;
import dev.nyla.sync.djl.DjlEmbedder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The int8 all-MiniLM-L6-v2-q ({@code DjlEmbedder.Builder.quantized(true)}) against the float32 model, a program
 * rather than a JMH benchmark (its main result is a recall): throughput of both on the same length-sorted batches
 * of 32 real paragraphs, alternating rounds in one process; and recall@10 of search in the int8 model's space
 * (int8 queries against int8 data) against the exact top 10 of the float model's ({@link MiniLmData}, 2,000
 * paragraphs and 500 held-out queries by default; arguments: data size, queries, texts timed, rounds).
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar dev.nyla.sync.benchmarks.QuantizedModelBenchmark 2000 500 512 3</pre>
 */
public final class QuantizedModelBenchmark {
    private QuantizedModelBenchmark() {
    }

    public static void main(String[] args) throws IOException {
        int count = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        int queries = args.length > 1 ? Integer.parseInt(args[1]) : 500;
        int timed = args.length > 2 ? Integer.parseInt(args[2]) : 512;
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        Machine.print();
        MiniLmData data = MiniLmData.load(count, queries);
        List<String> all = CorpusTexts.paragraphs(count + queries);
        Path cache = Vectors.dataDirectory().resolve("djl-cache");
        try (DjlEmbedder f32 = DjlEmbedder.builder().cacheDirectory(cache).batchSize(32).build();
             DjlEmbedder int8 = DjlEmbedder.builder().cacheDirectory(cache).batchSize(32).quantized(true).build()) {
            List<List<String>> batches = sortedBatches(all.subList(0, Math.min(timed, all.size())));
            long[] nanos = new long[2];
            for (int round = 0; round <= rounds; round++) {
                long t0 = System.nanoTime();
                embed(f32, batches);
                long t1 = System.nanoTime();
                embed(int8, batches);
                long t2 = System.nanoTime();
                if (round > 0) { // round 0 warms both up
                    nanos[0] += t1 - t0;
                    nanos[1] += t2 - t1;
                }
            }
            double f32Rate = (double) timed * rounds / (nanos[0] / 1e9);
            double int8Rate = (double) timed * rounds / (nanos[1] / 1e9);
            System.out.printf("throughput on %d paragraphs x %d rounds: float32 %.1f/s, int8 %.1f/s (%.2f x)%n", timed,
                    rounds, f32Rate, int8Rate, int8Rate / f32Rate);

            float[][] q8 = int8.embed(all).toArray(float[][]::new);
            float[][] data8 = new float[count][];
            System.arraycopy(q8, 0, data8, 0, count);
            double recall = 0;
            double cos = 0;
            for (int q = 0; q < queries; q++) {
                int[] exact = Exact.topK(data.vectors(), data.queries()[q], 10);
                int[] found = Exact.topK(data8, q8[count + q], 10);
                recall += Exact.overlap(exact, found);
            }
            for (int i = 0; i < all.size(); i++) {
                float[] f = i < count ? data.vectors()[i] : data.queries()[i - count];
                cos += Similarity.COSINE.score(f, q8[i]);
            }
            System.out.printf("recall@10 of int8 search against float32 exact top 10: %.4f over %d queries; "
                    + "mean cosine int8 vs float32 vector of a text: %.4f%n", recall / queries, queries, cos / all.size());
        }
    }

    private static List<List<String>> sortedBatches(List<String> texts) {
        List<String> sorted = new ArrayList<>(texts);
        sorted.sort(Comparator.comparingInt(String::length));
        List<List<String>> out = new ArrayList<>();
        for (int from = 0; from < sorted.size(); from += 32) {
            out.add(sorted.subList(from, Math.min(sorted.size(), from + 32)));
        }
        return out;
    }

    private static void embed(DjlEmbedder embedder, List<List<String>> batches) throws IOException {
        for (List<String> b : batches) {
            embedder.embed(b);
        }
    }
}
