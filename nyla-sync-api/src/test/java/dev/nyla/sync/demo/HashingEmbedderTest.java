package dev.nyla.sync.demo;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Test;

class HashingEmbedderTest {
    private final HashingEmbedder embedder = new HashingEmbedder();

    @Test
    void textsSharingWordsScoreHigherThanUnrelatedOnes() {
        float[] q = embedder.embed(List.of("How do I install a new knowledge base?")).get(0);
        float[] close = embedder.embed(List.of("Steps to install the knowledge base")).get(0);
        float[] far = embedder.embed(List.of("Bananas are yellow")).get(0);
        float closeScore = embedder.model().similarity().score(q, close);
        float farScore = embedder.model().similarity().score(q, far);
        assertTrue(closeScore > 0.3f, "close: " + closeScore);
        assertTrue(farScore < 0.15f, "far: " + farScore);
    }

    @Test
    void vectorsAreDeterministicUnitLengthAndOfTheModelDimension() {
        float[] a = embedder.embed(List.of("same text")).get(0);
        float[] b = new HashingEmbedder().embed(List.of("same text")).get(0);
        assertArrayEquals(a, b);
        assertEquals(384, a.length);
        double norm = 0;
        for (float x : a) {
            norm += x * x;
        }
        assertEquals(1.0, norm, 1e-5);
        assertEquals(16, new HashingEmbedder(16).embed(List.of("x")).get(0).length);
        assertNotEquals(new HashingEmbedder(16).model().fingerprint(), embedder.model().fingerprint());
    }

    @Test
    void aTextWithoutWordsStillGetsAUnitVector() {
        float[] v = embedder.embed(List.of("  ...  ")).get(0);
        double norm = 0;
        for (float x : v) {
            norm += x * x;
        }
        assertEquals(1.0, norm, 1e-5, "cosine needs a direction");
    }
}
