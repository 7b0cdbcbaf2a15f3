package dev.nyla.sync.djl;

import ai.djl.engine.Engine;
import dev.nyla.sync.embed.EmbeddingException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.Properties;
import java.util.TreeSet;

/**
 * Which DJL engines are on the class path. ONNX Runtime always is; PyTorch is opt-in (its natives are
 * 107 MB that the default ONNX model never runs), so a model that needs it is refused before anything loads,
 * with the artifact to add, instead of DJL's "engine not found" from deep inside model loading.
 */
final class Engines {
    static final String PYTORCH = "PyTorch";
    static final String ONNX_RUNTIME = "OnnxRuntime";

    private Engines() {
    }

    /**
     * The engine a model needs when the builder names none: a DJL URL's group decides
     * ({@code djl://ai.djl.huggingface.pytorch/...} is a PyTorch model).
     */
    static String forUrl(String url) {
        String rest = url.startsWith("djl://") ? url.substring("djl://".length()) : "";
        int slash = rest.indexOf('/');
        String group = slash < 0 ? rest : rest.substring(0, slash);
        return group.toLowerCase(Locale.ROOT).endsWith(".pytorch") ? PYTORCH : null;
    }

    /**
     * Refuses {@code engine} (null: DJL chooses) when it is not on the class path.
     *
     * @param model the model file or URL, for the message
     * @throws EmbeddingException naming the engine, the model and, for PyTorch, the artifact to add
     */
    static void require(String engine, Object model) throws EmbeddingException {
        if (engine == null || Engine.hasEngine(engine)) {
            return;
        }
        String found = "the engines on the class path are " + new TreeSet<>(Engine.getAllEngines());
        if (!engine.equals(PYTORCH)) {
            throw new EmbeddingException("DjlEmbedder: model " + model + ": expected the DJL engine " + engine
                    + " on the class path, but " + found + "; add that engine's artifacts, or use an ONNX model (*.onnx)");
        }
        Properties artifacts = artifacts();
        throw new EmbeddingException("DjlEmbedder: model " + model + " needs the PyTorch engine, which is not on the "
                + "class path (" + found + "). Add the dependency " + artifacts.getProperty("PyTorch.artifact")
                + " (type pom), which brings " + artifacts.getProperty("PyTorch.brings")
                + ", or use an ONNX model (*.onnx), which runs on ONNX Runtime");
    }

    private static Properties artifacts() {
        Properties p = new Properties();
        try (InputStream in = Engines.class.getResourceAsStream("engines.properties")) {
            if (in == null) {
                throw new IllegalStateException("engines.properties is missing from nyla-sync-embedder-djl's jar");
            }
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("engines.properties of nyla-sync-embedder-djl cannot be read", e);
        }
        return p;
    }
}
