package dev.nyla.sync.benchmarks;

import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.Similarity;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.artifact.DirectoryArtifactSource;
import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.VectorEncoding;
import dev.nyla.sync.client.NylaSync;
import dev.nyla.sync.client.SyncResult;
import dev.nyla.sync.lucene.LuceneOptions;
import dev.nyla.sync.lucene.LuceneVectorStore;
import dev.nyla.sync.publish.PublishResult;
import dev.nyla.sync.publish.Publisher;
import dev.nyla.sync.internal.DurableFiles;
import dev.nyla.sync.store.SearchRequest;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * Float16 against float32 vectors on the wire, on real MiniLM embeddings ({@link MiniLmData}: 10,000 javadoc
 * paragraphs as data, 500 held-out paragraphs as queries):
 * <ol>
 *   <li>the records payload's bytes as the publisher writes them, plain and gzip;</li>
 *   <li>recall@k against exact float32 search over the original vectors, of exact search over the vectors a
 *       client gets back (float16 loss alone) and of a Lucene HNSW store installed from each payload by the
 *       sync client (what users get);</li>
 *   <li>what a byte-shuffle filter before deflate would gain (byte 0 of every value, then byte 1, …, per
 *       vector or per block of records), on the whole payload file and on its vectors alone. Measured
 *       only: the format has no such filter.</li>
 * </ol>
 * A program rather than a JMH benchmark: its results are sizes and recalls, which do not vary between runs.
 * Prints markdown tables for {@code benchmarks/README.md}.
 */
public final class VectorEncodingBenchmark {
    static final int COUNT = 10_000;
    static final int QUERIES = 500;
    static final int BLOCK = 256;

    private VectorEncodingBenchmark() {
    }

    public static void main(String[] args) throws IOException {
        Machine.print();
        MiniLmData data = MiniLmData.load(COUNT, QUERIES);
        int dimension = data.vectors()[0].length;
        EmbeddingModel model = new EmbeddingModel("all-MiniLM-L6-v2", dimension, Similarity.COSINE, true,
                "minilm-fingerprint");
        List<VectorRecord> records = new ArrayList<>(COUNT);
        for (int i = 0; i < COUNT; i++) {
            records.add(VectorRecord.of(VectorRecord.DEFAULT_TENANT, Vectors.id(i), data.texts().get(i), Map.of(),
                    model, data.vectors()[i]));
        }
        Path work = Files.createTempDirectory("nyla-vector-encoding");
        try {
            KeyPair keys = SigningKeys.generate();
            Map<VectorEncoding, PublishResult> published = new EnumMap<>(VectorEncoding.class);
            for (VectorEncoding e : VectorEncoding.values()) {
                published.put(e, Publisher.builder().signingKey(keys).vectorEncoding(e).build()
                        .publishRecords(records, model, work.resolve("site-" + e.wireName())));
            }
            sizes(published);
            shuffle(published, records);
            recall(data, model, keys, work);
        } finally {
            DurableFiles.deleteRecursively(work);
        }
    }

    private static void sizes(Map<VectorEncoding, PublishResult> published) {
        PublishResult f32 = published.get(VectorEncoding.F32);
        System.out.println();
        System.out.println("| encoding | plain payload | ÷ f32 plain | gzip payload | ÷ f32 gzip | gzip ÷ plain |");
        System.out.println("|---|---|---|---|---|---|");
        for (Map.Entry<VectorEncoding, PublishResult> e : published.entrySet()) {
            PublishResult r = e.getValue();
            System.out.printf(Locale.ROOT, "| %s | %,d B | %.3f | %,d B | %.3f | %.3f |%n", e.getKey().wireName(),
                    r.fullRawBytes(), (double) r.fullRawBytes() / f32.fullRawBytes(), r.fullBytes(),
                    (double) r.fullBytes() / f32.fullBytes(), (double) r.fullBytes() / r.fullRawBytes());
        }
    }

    /**
     * gzip (level 6, the publisher's) of each plain payload as it is, and with its vector bytes shuffled:
     * per vector (the planes of one vector's values, in place) and per block (a block's keys and texts, then
     * the planes of all its vectors' values); and the same for the vectors alone.
     */
    private static void shuffle(Map<VectorEncoding, PublishResult> published, List<VectorRecord> records)
            throws IOException {
        System.out.println();
        System.out.println("| encoding | bytes | gzip | gzip, shuffled per vector | gain | gzip, shuffled per block of "
                + BLOCK + " | gain |");
        System.out.println("|---|---|---|---|---|---|---|");
        for (Map.Entry<VectorEncoding, PublishResult> e : published.entrySet()) {
            PublishResult r = e.getValue();
            Path plain = r.directory().resolve(r.manifest().payload().files().stream()
                    .filter(f -> f.compression() == dev.nyla.sync.store.Compression.NONE).findFirst().orElseThrow()
                    .name());
            byte[] file = Files.readAllBytes(plain);
            int width = e.getKey() == VectorEncoding.F16 ? 2 : 4;
            int vectorBytes = records.get(0).vector().length * width;
            int[] offsets = vectorOffsets(file, records, vectorBytes);
            String name = e.getKey().wireName();
            row(name + ", payload file", file, shuffledPerVector(file, offsets, vectorBytes, width),
                    shuffledPerBlock(file, offsets, vectorBytes, width));
            byte[] vectors = new byte[offsets.length * vectorBytes];
            for (int i = 0; i < offsets.length; i++) {
                System.arraycopy(file, offsets[i], vectors, i * vectorBytes, vectorBytes);
            }
            int[] packed = new int[offsets.length];
            for (int i = 0; i < packed.length; i++) {
                packed[i] = i * vectorBytes;
            }
            row(name + ", vectors only", vectors, shuffledPerVector(vectors, packed, vectorBytes, width),
                    shuffledPerBlock(vectors, packed, vectorBytes, width));
        }
    }

    private static void row(String what, byte[] plain, byte[] perVector, byte[] perBlock) throws IOException {
        long gz = gzipSize(plain);
        long v = gzipSize(perVector);
        long b = gzipSize(perBlock);
        System.out.printf(Locale.ROOT, "| %s | %,d B | %,d B (%.3f) | %,d B | %+.1f %% | %,d B | %+.1f %% |%n", what,
                plain.length, gz, (double) gz / plain.length, v, 100.0 * (gz - v) / gz, b, 100.0 * (gz - b) / gz);
    }

    /**
     * Where each record's vector starts in a full record file of {@code records} (no metadata), walking the
     * layout of docs/artifact-format.md; checked against the file's length.
     */
    private static int[] vectorOffsets(byte[] file, List<VectorRecord> records, int vectorBytes) {
        int[] out = new int[records.size()];
        int at = 16;
        for (int i = 0; i < out.length; i++) {
            VectorRecord r = records.get(i);
            at += 1 + 4 + utf8(r.tenant()) + 4 + utf8(r.id()) + 4 + utf8(r.text()) + 4 + 32;
            out[i] = at;
            at += vectorBytes;
        }
        if (at + 1 + 16 + 32 != file.length) {
            throw new IllegalStateException("record layout: expected the file to end at " + (at + 49) + " but it has "
                    + file.length + " bytes");
        }
        return out;
    }

    private static int utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    private static byte[] shuffledPerVector(byte[] file, int[] offsets, int vectorBytes, int width) {
        byte[] out = file.clone();
        int n = vectorBytes / width;
        for (int start : offsets) {
            for (int c = 0; c < n; c++) {
                for (int b = 0; b < width; b++) {
                    out[start + b * n + c] = file[start + c * width + b];
                }
            }
        }
        return out;
    }

    private static byte[] shuffledPerBlock(byte[] file, int[] offsets, int vectorBytes, int width) {
        byte[] out = new byte[file.length];
        int o = 0;
        int copiedUpTo = 0;
        int n = vectorBytes / width;
        for (int first = 0; first < offsets.length; first += BLOCK) {
            int last = Math.min(offsets.length, first + BLOCK);
            // The block's bytes other than vectors, in order.
            for (int i = first; i < last; i++) {
                System.arraycopy(file, copiedUpTo, out, o, offsets[i] - copiedUpTo);
                o += offsets[i] - copiedUpTo;
                copiedUpTo = offsets[i] + vectorBytes;
            }
            // Then byte plane b of every value of every vector of the block.
            for (int b = 0; b < width; b++) {
                for (int i = first; i < last; i++) {
                    for (int c = 0; c < n; c++) {
                        out[o++] = file[offsets[i] + c * width + b];
                    }
                }
            }
        }
        System.arraycopy(file, copiedUpTo, out, o, file.length - copiedUpTo);
        return out;
    }

    private static long gzipSize(byte[] bytes) throws IOException {
        long[] count = new long[1];
        OutputStream counter = new OutputStream() {
            @Override
            public void write(int b) {
                count[0]++;
            }

            @Override
            public void write(byte[] b, int off, int len) {
                count[0] += len;
            }
        };
        try (GZIPOutputStream gz = new GZIPOutputStream(counter, 256 << 10) {
            {
                def.setLevel(Deflater.DEFAULT_COMPRESSION);
            }
        }) {
            gz.write(bytes);
        }
        return count[0];
    }

    /**
     * recall@1 and recall@10 against exact float32 search over the original vectors: exact search over the
     * vectors as a client gets them back, and a Lucene store (the client's defaults, HNSW at this size)
     * installed from each payload by the sync client. Queries stay float32, as a client embeds them.
     */
    private static void recall(MiniLmData data, EmbeddingModel model, KeyPair keys, Path work) throws IOException {
        float[][] vectors = data.vectors();
        float[][] queries = data.queries();
        int[] ks = {1, 10};
        int[][][] truth = new int[ks.length][queries.length][];
        for (int k = 0; k < ks.length; k++) {
            for (int q = 0; q < queries.length; q++) {
                truth[k][q] = Exact.topK(vectors, queries[q], ks[k]);
            }
        }
        System.out.println();
        System.out.println("| vectors searched | search | recall@1 | recall@10 |");
        System.out.println("|---|---|---|---|");
        for (VectorEncoding e : VectorEncoding.values()) {
            float[][] decoded = new float[vectors.length][];
            for (int i = 0; i < vectors.length; i++) {
                decoded[i] = e.round(vectors[i], Vectors.id(i));
            }
            double[] r = new double[ks.length];
            for (int k = 0; k < ks.length; k++) {
                for (int q = 0; q < queries.length; q++) {
                    r[k] += Exact.overlap(truth[k][q], Exact.topK(decoded, queries[q], ks[k]));
                }
            }
            System.out.printf(Locale.ROOT, "| %s | exact | %.4f | %.4f |%n", e.wireName(), r[0] / queries.length,
                    r[1] / queries.length);
        }
        for (VectorEncoding e : VectorEncoding.values()) {
            Path storeDir = work.resolve("lucene-" + e.wireName());
            Path site = work.resolve("site-" + e.wireName());
            try (LuceneVectorStore store = LuceneVectorStore.open(storeDir, LuceneOptions.DEFAULTS);
                 NylaSync sync = NylaSync.builder().source(new DirectoryArtifactSource(site))
                         .store(store).publicKey(keys.getPublic()).expectedModel(model)
                         .stateDirectory(work.resolve("state-" + e.wireName())).build()) {
                long started = System.nanoTime();
                SyncResult installed = sync.checkNow();
                if (installed.outcome() != SyncResult.Outcome.INSTALLED) {
                    throw new IllegalStateException("install of the " + e.wireName() + " payload: "
                            + installed.steps());
                }
                System.err.printf(Locale.ROOT, "installed the %s payload into Lucene by %s in %.1f s%n", e.wireName(),
                        installed.route().orElseThrow(), (System.nanoTime() - started) / 1e9);
                double[] r = new double[ks.length];
                for (int k = 0; k < ks.length; k++) {
                    for (int q = 0; q < queries.length; q++) {
                        r[k] += Exact.overlap(truth[k][q],
                                Vectors.indexes(store.search(SearchRequest.of(queries[q], ks[k]))));
                    }
                }
                System.out.printf(Locale.ROOT, "| %s | Lucene HNSW, installed from the %s payload | %.4f | %.4f |%n",
                        e.wireName(), e.wireName(), r[0] / queries.length, r[1] / queries.length);
            }
        }
    }
}
