package dev.nyla.sync.djl;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.Batchifier;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Sentence-transformer pre- and post-processing: a batch is tokenized at once (padded to its longest
 * text), the model's last hidden state is mean-pooled over the real tokens and L2-normalized.
 *
 * <p>It does what DJL's {@code TextEmbeddingTranslator} does, with the pooling in plain Java on the
 * output's float array instead of in engine operators: on ONNX Runtime those operators run on a second
 * engine (PyTorch, DJL's "hybrid engine"), and the hand-over cost a measured quarter of the throughput
 * (see benchmarks/README.md, EmbedBenchmark).
 */
final class MeanPoolingTranslator implements Translator<String, float[]> {
    private final HuggingFaceTokenizer tokenizer;
    private final boolean tokenTypes;

    MeanPoolingTranslator(HuggingFaceTokenizer tokenizer, boolean tokenTypes) {
        this.tokenizer = tokenizer;
        this.tokenTypes = tokenTypes;
    }

    /**
     * Not used to batch (the batch methods below build the call themselves), but it must not be null: DJL's
     * predictor runs a translator without a batchifier once per text, so a "batch" would be that many model
     * calls of one text each.
     */
    @Override
    public Batchifier getBatchifier() {
        return Batchifier.STACK;
    }

    @Override
    public NDList processInput(TranslatorContext ctx, String input) {
        return batchProcessInput(ctx, List.of(input));
    }

    @Override
    public float[] processOutput(TranslatorContext ctx, NDList list) {
        return batchProcessOutput(ctx, list).get(0);
    }

    @Override
    public NDList batchProcessInput(TranslatorContext ctx, List<String> inputs) {
        Encoding[] encodings = tokenizer.batchEncode(inputs);
        int n = encodings.length;
        int length = encodings[0].getIds().length;
        long[] ids = new long[n * length];
        long[] mask = new long[n * length];
        long[] types = new long[n * length];
        for (int i = 0; i < n; i++) {
            System.arraycopy(encodings[i].getIds(), 0, ids, i * length, length);
            System.arraycopy(encodings[i].getAttentionMask(), 0, mask, i * length, length);
            System.arraycopy(encodings[i].getTypeIds(), 0, types, i * length, length);
        }
        ctx.setAttachment("mask", mask);
        ctx.setAttachment("length", length);
        NDManager manager = ctx.getNDManager();
        Shape shape = new Shape(n, length);
        NDList list = new NDList(tokenTypes ? 3 : 2);
        list.add(named(manager.create(LongBuffer.wrap(ids), shape), "input_ids"));
        list.add(named(manager.create(LongBuffer.wrap(mask), shape), "attention_mask"));
        if (tokenTypes) {
            list.add(named(manager.create(LongBuffer.wrap(types), shape), "token_type_ids"));
        }
        return list;
    }

    private static NDArray named(NDArray array, String name) {
        array.setName(name);
        return array;
    }

    @Override
    public List<float[]> batchProcessOutput(TranslatorContext ctx, NDList list) {
        NDArray hidden = list.get("last_hidden_state");
        if (hidden == null) {
            hidden = list.head();
        }
        long[] mask = (long[]) ctx.getAttachment("mask");
        int length = (Integer) ctx.getAttachment("length");
        float[] values = hidden.toFloatArray();
        int n = mask.length / length;
        int dimension = values.length / (n * length);
        List<float[]> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            float[] sum = new float[dimension];
            int tokens = 0;
            for (int t = 0; t < length; t++) {
                if (mask[i * length + t] == 0) {
                    continue;
                }
                tokens++;
                int base = (i * length + t) * dimension;
                for (int d = 0; d < dimension; d++) {
                    sum[d] += values[base + d];
                }
            }
            double norm = 0;
            for (int d = 0; d < dimension; d++) {
                sum[d] /= Math.max(1, tokens);
                norm += (double) sum[d] * sum[d];
            }
            float inv = (float) (1 / Math.max(1e-12, Math.sqrt(norm)));
            for (int d = 0; d < dimension; d++) {
                sum[d] *= inv;
            }
            out.add(sum);
        }
        return out;
    }
}
