package dev.nyla.sync.benchmarks;

import dev.nyla.sync.Similarity;
import dev.nyla.sync.SourceRecord;
import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.corpus.Corpus;
import dev.nyla.sync.djl.DjlEmbedder;
import dev.nyla.sync.publish.PublishResult;
import dev.nyla.sync.publish.Publisher;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Publishing real mixed-length text with {@link DjlEmbedder} (all-MiniLM-L6-v2, batches of 32): {@code publish}
 * is {@link Publisher#publish} of {@code chunks} javadoc paragraphs (80–1,000 characters, in the corpus's key
 * order), which embeds them in batches of similar length. The baseline {@code unbucketedEmbedding} is what
 * the publisher did before, embedding alone: the same texts in key-order batches of 32, no files written, so
 * it is a lower bound of the old publish time and the ratio understates the gain. {@code bucketedEmbedding}
 * is the same texts sorted by length, embedding alone. Chunks per second are {@code chunks} ÷ seconds per op.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
public class PublishBenchmark {
    private static final int BATCH = 32;

    @Param({"512"})
    int chunks;

    private DjlEmbedder embedder;
    private Publisher publisher;
    private List<SourceRecord> records;
    private List<List<String>> keyOrderBatches;
    private List<List<String>> lengthOrderBatches;
    private Path out;

    @Setup(Level.Trial)
    public void load() throws Exception {
        Machine.print();
        embedder = DjlEmbedder.builder().cacheDirectory(Vectors.dataDirectory().resolve("djl-cache")).batchSize(BATCH)
                .build();
        publisher = Publisher.builder().signingKey(SigningKeys.generate()).embedder(embedder).build();
        List<String> texts = CorpusTexts.paragraphs(chunks);
        records = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            records.add(new SourceRecord("default", String.format("chunk-%06d", i), texts.get(i), Map.of()));
        }
        List<String> byLength = new ArrayList<>(texts);
        byLength.sort(Comparator.comparingInt(String::length));
        keyOrderBatches = batches(texts);
        lengthOrderBatches = batches(byLength);
        // Bucketing must not change a vector: each text's vector from a length-sorted batch against its key-order one.
        Map<String, float[]> unbucketed = new HashMap<>();
        for (List<String> b : keyOrderBatches) {
            List<float[]> v = embedder.embed(b);
            for (int i = 0; i < b.size(); i++) {
                unbucketed.put(b.get(i), v.get(i));
            }
        }
        double worst = 1;
        for (List<String> b : lengthOrderBatches) {
            List<float[]> v = embedder.embed(b);
            for (int i = 0; i < b.size(); i++) {
                worst = Math.min(worst, Similarity.COSINE.score(unbucketed.get(b.get(i)), v.get(i)));
            }
        }
        if (worst < 0.9999) {
            throw new IllegalStateException("length-sorted batches changed a vector: cos " + worst);
        }
        System.out.printf("bucketed against unbucketed vectors: lowest cosine %.6f over %d chunks%n", worst, chunks);
        out = Files.createTempDirectory(Vectors.dataDirectory(), "publish-bench");
    }

    private static List<List<String>> batches(List<String> texts) {
        List<List<String>> out = new ArrayList<>();
        for (int from = 0; from < texts.size(); from += BATCH) {
            out.add(texts.subList(from, Math.min(texts.size(), from + BATCH)));
        }
        return out;
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        embedder.close();
        try (Stream<Path> files = Files.walk(out)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    @Benchmark
    public PublishResult publish() throws IOException {
        return publisher.publish(Corpus.of(records), Files.createTempDirectory(out, "v"));
    }

    @Benchmark
    public int unbucketedEmbedding() throws IOException {
        return embedAll(keyOrderBatches);
    }

    @Benchmark
    public int bucketedEmbedding() throws IOException {
        return embedAll(lengthOrderBatches);
    }

    private int embedAll(List<List<String>> batches) throws IOException {
        int n = 0;
        for (List<String> b : batches) {
            n += embedder.embed(b).size();
        }
        return n;
    }
}
