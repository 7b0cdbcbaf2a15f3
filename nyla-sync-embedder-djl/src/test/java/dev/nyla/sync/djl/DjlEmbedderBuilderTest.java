package dev.nyla.sync.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The builder's settings, checked before any model is loaded. */
class DjlEmbedderBuilderTest {

    @Test
    void aSecondValueForAnOptionIsRefusedNamingItAndTheValueKept() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> DjlEmbedder.builder().batchSize(16).batchSize(8));
        assertTrue(e.getMessage().startsWith("DjlEmbedder.Builder: batchSize was already set to 16;"), e.getMessage());
        e = assertThrows(IllegalStateException.class,
                () -> DjlEmbedder.builder().modelDirectory(Path.of("a")).modelDirectory(Path.of("b")));
        assertTrue(e.getMessage().startsWith("DjlEmbedder.Builder: modelDirectory was already set to a;"), e.getMessage());
        e = assertThrows(IllegalStateException.class, () -> DjlEmbedder.builder().engine("OnnxRuntime").engine("PyTorch"));
        assertTrue(e.getMessage().startsWith("DjlEmbedder.Builder: engine was already set to 'OnnxRuntime';"),
                e.getMessage());
    }

    @Test
    void valuesOutOfRangeAreRefusedByTheSetterNamingTheOption() {
        assertEquals("batchSize: expected 1..4096 but was 0",
                assertThrows(IllegalArgumentException.class, () -> DjlEmbedder.builder().batchSize(0)).getMessage());
        assertEquals("maxLength: expected 1..8192 tokens but was 9000",
                assertThrows(IllegalArgumentException.class, () -> DjlEmbedder.builder().maxLength(9000)).getMessage());
    }
}
