package dev.nyla.sync.djl;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.engine.Engine;
import dev.nyla.sync.embed.EmbeddingException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Without the opt-in PyTorch artifact (this module's tests run without PyTorch on the class path, as an
 * application that did not add it): ONNX models run, and a model that needs PyTorch is refused with the
 * artifact to add, whichever way it asked for PyTorch.
 */
class PyTorchOptInTest {
    private static final String ARTIFACT = "dev.nyla:nyla-sync-embedder-djl-pytorch:";

    @TempDir
    Path dir;

    @BeforeAll
    static void pyTorchIsNotOnTheClassPath() {
        DjlRuntime.configure(DjlEmbedderTest.CACHE);
        assertFalse(Engine.hasEngine("PyTorch"), "the surefire run of this test must exclude PyTorch: "
                + Engine.getAllEngines());
        assertTrue(Engine.hasEngine("OnnxRuntime"), Engine.getAllEngines().toString());
    }

    private static void assertNamesTheArtifact(EmbeddingException e, String model) {
        String m = e.getMessage();
        assertTrue(m.contains(ARTIFACT), m);
        assertTrue(m.contains("ai.djl.pytorch:pytorch-native-cpu:"), m);
        assertTrue(m.contains(model), m);
        assertFalse(m.contains("${"), "versions are filled in by the build: " + m);
    }

    @Test
    void aTorchScriptModelDirectoryNamesTheArtifactToAdd() throws IOException {
        Path model = Files.createDirectories(dir.resolve("minilm-ts"));
        Files.write(model.resolve("model.pt"), new byte[] {1, 2, 3});
        Files.writeString(model.resolve("tokenizer.json"), "{}");
        EmbeddingException e = assertThrows(EmbeddingException.class,
                () -> DjlEmbedder.builder().cacheDirectory(DjlEmbedderTest.CACHE).modelDirectory(model).build());
        assertNamesTheArtifact(e, "model.pt");
    }

    @Test
    void forcingThePyTorchEngineNamesTheArtifactToAdd() {
        EmbeddingException e = assertThrows(EmbeddingException.class,
                () -> DjlEmbedder.builder().cacheDirectory(DjlEmbedderTest.CACHE).engine("PyTorch").build());
        assertNamesTheArtifact(e, "model.onnx");
    }

    @Test
    void aPyTorchModelUrlNamesTheArtifactToAdd() {
        String url = "djl://ai.djl.huggingface.pytorch/sentence-transformers/all-MiniLM-L6-v2";
        EmbeddingException e = assertThrows(EmbeddingException.class,
                () -> DjlEmbedder.builder().cacheDirectory(DjlEmbedderTest.CACHE).modelUrl(url).build());
        assertNamesTheArtifact(e, url);
    }

    @Test
    void anEngineThatIsNotThereIsNamedWithTheOnesThatAre() {
        EmbeddingException e = assertThrows(EmbeddingException.class,
                () -> DjlEmbedder.builder().cacheDirectory(DjlEmbedderTest.CACHE).engine("TensorFlow").build());
        assertTrue(e.getMessage().contains("TensorFlow"), e.getMessage());
        assertTrue(e.getMessage().contains("OnnxRuntime"), e.getMessage());
    }

    @Test
    void theBundledOnnxModelEmbedsWithoutPyTorch() throws IOException {
        try (DjlEmbedder embedder = DjlEmbedder.builder().cacheDirectory(DjlEmbedderTest.CACHE).build()) {
            assertEquals("OnnxRuntime", embedder.engine());
            assertEquals(384, embedder.embed("How do I install a new knowledge base?").length);
        }
    }
}
