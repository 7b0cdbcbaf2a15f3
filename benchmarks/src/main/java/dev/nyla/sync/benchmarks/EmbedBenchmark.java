package dev.nyla.sync.benchmarks;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.nyla.sync.Similarity;
import dev.nyla.sync.djl.DjlEmbedder;
import dev.nyla.sync.internal.LengthBatches;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
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
 * {@link DjlEmbedder} (all-MiniLM-L6-v2 on DJL's ONNX Runtime engine) against a raw ONNX Runtime session on
 * the same model file, the same tokenizer and the same batches, with mean pooling and L2 normalization done
 * in plain Java: what the embedder costs on top of the runtime. The texts are real paragraphs
 * ({@link CorpusTexts}, 80–1,000 characters). One op is one batch; texts per second are ops/s × {@code batch}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
public class EmbedBenchmark {
    @Param({"1", "8", "32", "128"})
    int batch;

    private DjlEmbedder embedder;
    private RawOrt raw;
    private List<List<String>> batches;
    private int next;

    @Setup(Level.Trial)
    public void load() throws Exception {
        Machine.print();
        Path cache = Vectors.dataDirectory().resolve("djl-cache");
        embedder = DjlEmbedder.builder().cacheDirectory(cache).batchSize(batch).build();
        Path modelDir = cache.resolve("nyla-models/all-minilm-l6-v2");
        raw = new RawOrt(modelDir.resolve("model.onnx"), modelDir.resolve("tokenizer.json"));
        // Real paragraphs (javadoc of java.base): one pool, shuffled with a fixed seed, so that every batch size
        // draws texts of the same length distribution (the pool's order follows the source tree by topic).
        List<String> texts = new ArrayList<>(CorpusTexts.paragraphs(16 * 128));
        java.util.Collections.shuffle(texts, new java.util.Random(7));
        batches = new ArrayList<>();
        for (int b = 0; b < 16; b++) {
            batches.add(texts.subList(b * batch, (b + 1) * batch));
        }
        // Same vectors, or the comparison is meaningless.
        List<String> probe = batches.get(0);
        List<float[]> a = embedder.embed(probe);
        float[][] b = raw.embed(probe);
        for (int i = 0; i < probe.size(); i++) {
            double cos = Similarity.COSINE.score(a.get(i), b[i]);
            if (cos < 0.9999) {
                throw new IllegalStateException("DJL and raw ONNX Runtime disagree on '" + probe.get(i) + "': cos " + cos);
            }
        }
    }

    @TearDown(Level.Trial)
    public void close() throws OrtException {
        embedder.close();
        raw.close();
    }

    @Benchmark
    public List<float[]> djlEmbedder() throws IOException {
        return embedder.embed(nextBatch());
    }

    @Benchmark
    public float[][] rawOnnxRuntime() throws OrtException {
        return raw.embed(nextBatch());
    }

    private List<String> nextBatch() {
        next = (next + 1) % batches.size();
        return batches.get(next);
    }

    /**
     * The baseline: the best a bare {@link OrtSession} does here. Same tokenizer file, each text tokenized
     * once, unpadded; the batch split by token counts into model calls of similar length as the embedder
     * splits it ({@link LengthBatches}: a call pads to its longest text, and one call per text pays the
     * per-call cost every time), each call padded to its longest text (never to the maximum length); intra-op threads =
     * cores, one inter-op thread, sequential execution, every graph optimization; inputs written into direct
     * buffers reused across calls (ONNX Runtime reads them in place); only the hidden-state output computed
     * (the model's second output, its pooler, is not needed); intra-op spinning off, which measured faster on
     * this shared 2-core machine; mean pooling and L2 normalization in plain Java on the output buffer.
     */
    static final class RawOrt implements AutoCloseable {
        private final OrtEnvironment env = OrtEnvironment.getEnvironment();
        private final OrtSession session;
        private final HuggingFaceTokenizer tokenizer;
        private final Set<String> output;
        private LongBuffer ids = LongBuffer.allocate(0);
        private LongBuffer mask;
        private LongBuffer types;

        RawOrt(Path model, Path tokenizerFile) throws OrtException, IOException {
            try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
                options.setIntraOpNumThreads(Runtime.getRuntime().availableProcessors());
                options.setInterOpNumThreads(1);
                options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
                options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
                options.addConfigEntry("session.intra_op.allow_spinning", "0");
                session = env.createSession(model.toString(), options);
            }
            output = Set.of(session.getOutputNames().iterator().next());
            tokenizer = HuggingFaceTokenizer.newInstance(tokenizerFile,
                    Map.of("padding", "false", "truncation", "true", "maxLength", "256"));
        }

        float[][] embed(List<String> texts) throws OrtException {
            Encoding[] all = tokenizer.batchEncode(texts);
            int[] tokens = new int[all.length];
            for (int i = 0; i < tokens.length; i++) {
                tokens[i] = all[i].getIds().length;
            }
            float[][] out = new float[texts.size()][];
            for (int[] positions : LengthBatches.of(tokens, texts.size())) {
                Encoding[] call = new Encoding[positions.length];
                for (int k = 0; k < positions.length; k++) {
                    call[k] = all[positions[k]];
                }
                float[][] vectors = call(call);
                for (int k = 0; k < positions.length; k++) {
                    out[positions[k]] = vectors[k];
                }
            }
            return out;
        }

        /** One model call: the texts padded to the longest of them. */
        private float[][] call(Encoding[] enc) throws OrtException {
            int n = enc.length;
            int length = 0;
            for (Encoding e : enc) {
                length = Math.max(length, e.getIds().length);
            }
            int size = n * length;
            if (ids.capacity() < size) {
                ids = direct(size);
                mask = direct(size);
                types = direct(size);
            }
            ids.clear();
            mask.clear();
            types.clear();
            for (Encoding e : enc) {
                int real = e.getIds().length;
                ids.put(e.getIds());
                mask.put(e.getAttentionMask());
                types.put(e.getTypeIds());
                for (int t = real; t < length; t++) {
                    ids.put(0);
                    mask.put(0);
                    types.put(0);
                }
            }
            ids.flip();
            mask.flip();
            types.flip();
            long[] shape = {n, length};
            try (OnnxTensor a = OnnxTensor.createTensor(env, ids, shape);
                 OnnxTensor b = OnnxTensor.createTensor(env, mask, shape);
                 OnnxTensor c = OnnxTensor.createTensor(env, types, shape);
                 OrtSession.Result result = session.run(
                         Map.of("input_ids", a, "attention_mask", b, "token_type_ids", c), output)) {
                FloatBuffer hidden = ((OnnxTensor) result.get(0)).getFloatBuffer();
                int dimension = hidden.remaining() / size;
                float[][] out = new float[n][];
                for (int i = 0; i < n; i++) {
                    out[i] = meanPoolNormalized(hidden, i * length, enc[i].getIds().length, dimension);
                }
                return out;
            }
        }

        private static LongBuffer direct(int longs) {
            return ByteBuffer.allocateDirect(longs * Long.BYTES).order(ByteOrder.nativeOrder()).asLongBuffer();
        }

        /** The mean of a text's first {@code tokens} rows (its real tokens: padding comes after them), unit length. */
        private static float[] meanPoolNormalized(FloatBuffer hidden, int firstRow, int tokens, int dimension) {
            float[] sum = new float[dimension];
            for (int t = 0; t < tokens; t++) {
                int base = (firstRow + t) * dimension;
                for (int d = 0; d < dimension; d++) {
                    sum[d] += hidden.get(base + d);
                }
            }
            double norm = 0;
            for (int d = 0; d < dimension; d++) {
                sum[d] /= Math.max(1, tokens);
                norm += sum[d] * sum[d];
            }
            float inv = (float) (1 / Math.max(1e-12, Math.sqrt(norm)));
            for (int d = 0; d < dimension; d++) {
                sum[d] *= inv;
            }
            return sum;
        }

        @Override
        public void close() throws OrtException {
            session.close();
            tokenizer.close();
        }
    }
}
