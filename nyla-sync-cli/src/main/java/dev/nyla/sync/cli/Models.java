package dev.nyla.sync.cli;

import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.NylaSyncException;
import dev.nyla.sync.djl.DjlEmbedder;
import dev.nyla.sync.embed.Embedder;
import dev.nyla.sync.demo.HashingEmbedder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** The embedding models the command line can load, named by {@code --model}. */
final class Models {
    static final String DEFAULT = "default";
    static final String QUANTIZED = "quantized";
    static final String HASHING = "hashing";
    static final String SYNTAX = "'default' (the bundled all-MiniLM-L6-v2), 'quantized' (its bundled int8 version, "
            + "another model), 'hashing' (a lexical embedder for tests), a model directory (model.onnx or model.pt "
            + "with tokenizer.json) or a djl:// URL";
    private static final String HASHING_ID = new HashingEmbedder().model().id();
    private static final String MINILM_ID = "all-MiniLM-L6-v2";
    private static final String MINILM_Q_ID = "all-MiniLM-L6-v2-q";

    private Models() {
    }

    /** Loads the model named by {@code spec}; see {@link #SYNTAX}. */
    static Embedder open(String spec) throws IOException {
        if (spec.equals(DEFAULT)) {
            return DjlEmbedder.allMiniLmL6V2();
        }
        if (spec.equals(QUANTIZED)) {
            return DjlEmbedder.builder().quantized(true).build();
        }
        if (spec.equals(HASHING)) {
            return new HashingEmbedder();
        }
        if (spec.startsWith("djl://")) {
            return DjlEmbedder.builder().modelUrl(spec).build();
        }
        Path dir = Path.of(spec);
        if (!Files.isDirectory(dir)) {
            throw new NylaSyncException("model '" + spec + "': expected " + SYNTAX + ", but " + dir.toAbsolutePath()
                    + (Files.exists(dir) ? " is not a directory" : " does not exist"));
        }
        return DjlEmbedder.builder().modelDirectory(dir).build();
    }

    /**
     * An embedder for queries against vectors of {@code model}: the one named by {@code spec}, or else the bundled
     * model with that id. Either way its model must be compatible (same fingerprint and shape).
     */
    static Embedder forQueries(EmbeddingModel model, Optional<String> spec) throws IOException {
        Embedder embedder;
        if (spec.isPresent()) {
            embedder = open(spec.get());
        } else if (model.id().equals(HASHING_ID)) {
            embedder = new HashingEmbedder(model.dimension());
        } else if (model.id().equals(MINILM_ID)) {
            embedder = open(DEFAULT);
        } else if (model.id().equals(MINILM_Q_ID)) {
            embedder = open(QUANTIZED);
        } else {
            throw new NylaSyncException("the store's vectors were embedded by '" + model.id() + "' (" + model.fingerprint()
                    + "), which this command line does not bundle; pass --model <model directory|djl:// URL>");
        }
        if (!embedder.model().isCompatibleWith(model)) {
            EmbeddingModel have = embedder.model();
            embedder.close();
            throw new NylaSyncException("query model: expected the store's " + describe(model) + " but "
                    + spec.orElse("the bundled model") + " is " + describe(have));
        }
        return embedder;
    }

    static String describe(EmbeddingModel m) {
        String fp = m.fingerprint();
        return m.id() + " (" + m.dimension() + " dims, " + Format.abbreviate(fp, 24) + ")";
    }
}
