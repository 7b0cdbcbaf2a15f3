package dev.nyla.sync.spring;

import dev.nyla.sync.djl.DjlEmbedder;
import java.io.IOException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * The {@link DjlEmbedder} that {@code nyla.sync.model} names, with the values of the command line's
 * {@code --model}: {@code default}, {@code quantized}, a {@code djl://} URL, or a model directory.
 */
final class DjlModels {
    private DjlModels() {
    }

    /** @param cacheDirectory DJL's cache, or null for DJL's own */
    static DjlEmbedder embedder(String model, Path cacheDirectory) throws IOException {
        DjlEmbedder.Builder b = DjlEmbedder.builder();
        String m = model == null ? "default" : model.strip();
        try {
            switch (m) {
                case "default" -> { }
                case "quantized" -> b.quantized(true);
                default -> {
                    if (m.startsWith("djl://")) {
                        b.modelUrl(m);
                    } else {
                        b.modelDirectory(Path.of(m));
                    }
                }
            }
        } catch (InvalidPathException e) {
            throw new NylaSyncConfigurationException("nyla.sync.model: expected default, quantized, a djl:// URL or a "
                    + "model directory but was '" + m + "'", "nyla.sync.model");
        }
        if (cacheDirectory != null) {
            b.cacheDirectory(cacheDirectory);
        }
        try {
            return b.build();
        } catch (IOException | IllegalStateException e) {
            throw new NylaSyncConfigurationException("nyla.sync.model: cannot load '" + m + "': " + e.getMessage(),
                    "nyla.sync.model: default, quantized, a djl:// URL or a model directory; or an Embedder bean");
        }
    }
}
