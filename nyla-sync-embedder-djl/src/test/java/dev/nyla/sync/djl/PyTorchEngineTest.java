package dev.nyla.sync.djl;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.nyla.sync.Similarity;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The PyTorch path end to end, with natives from Maven only: a DJL-format model is built and saved on the
 * PyTorch engine, then loaded back from its directory by {@link DjlEmbedder} (which picks PyTorch for the
 * format) with the MiniLM tokenizer, and embeds. Tagged: it runs in a surefire execution of its own, with the
 * opt-in PyTorch engine on the class path (the module's other tests run without it).
 */
@Tag("pytorch")
class PyTorchEngineTest {

    @TempDir
    Path dir;

    @Test
    void aModelSavedOnPyTorchLoadsBackThroughTheEmbedderAndEmbeds() throws Exception {
        DjlRuntime.configure(DjlEmbedderTest.CACHE);
        Path modelDir = Files.createDirectories(dir.resolve("tiny-encoder"));
        Engine pytorch = Engine.getEngine("PyTorch");
        pytorch.setRandomSeed(42);
        try (Model model = Model.newInstance("tiny", "PyTorch")) {
            model.setBlock(new TinyEncoder());
            model.getBlock().initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 8), new Shape(1, 8),
                    new Shape(1, 8));
            model.save(modelDir, "tiny");
        }
        assertTrue(Files.isRegularFile(modelDir.resolve("tiny-0000.params")));
        try (DjlEmbedder minilm = DjlEmbedder.builder().cacheDirectory(DjlEmbedderTest.CACHE).build()) {
            // The tokenizer of the bundled model serves the tiny one (same vocabulary size).
            Files.copy(DjlEmbedderTest.CACHE.resolve("nyla-models/all-minilm-l6-v2/tokenizer.json"),
                    modelDir.resolve("tokenizer.json"));
            try (DjlEmbedder tiny = DjlEmbedder.builder().cacheDirectory(DjlEmbedderTest.CACHE)
                    .modelDirectory(modelDir).block(new TinyEncoder()).build()) {
                assertEquals("PyTorch", tiny.engine());
                assertEquals("OnnxRuntime", minilm.engine());
                assertEquals(TinyEncoder.HIDDEN, tiny.model().dimension());
                assertEquals("tiny-encoder", tiny.model().id());
                assertNotEquals(minilm.model().fingerprint(), tiny.model().fingerprint());

                List<float[]> v = tiny.embed(List.of("install the knowledge base now",
                        "install the knowledge base later", "bananas are yellow"));
                double shared = Similarity.COSINE.score(v.get(0), v.get(1));
                double disjoint = Similarity.COSINE.score(v.get(0), v.get(2));
                // Mean-pooled token vectors: sentences sharing most tokens are close, whatever the weights.
                assertTrue(shared > disjoint + 0.2, shared + " vs " + disjoint);
                assertArrayEquals(v.get(0), tiny.embed("install the knowledge base now"));
            }
        }
    }
}
