package dev.nyla.sync.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.store.embedding.EmbeddingSearchRequest;
import dev.nyla.sync.Similarity;
import dev.nyla.sync.store.VectorStore;
import dev.nyla.sync.store.VectorStores;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class NylaEmbeddingStoreBuilderTest {

    @Test
    void anOptionSetTwiceIsRefusedNamingTheValueItKeeps() throws IOException {
        try (VectorStore vectors = VectorStores.open("memory:")) {
            NylaEmbeddingStore.Builder builder = NylaEmbeddingStore.builder(vectors).tenant("acme");

            IllegalStateException e = assertThrows(IllegalStateException.class, () -> builder.tenant("globex"));

            assertTrue(e.getMessage().contains("tenant was already set to acme") && e.getMessage().contains("globex"),
                    e.getMessage());
        }
    }

    @Test
    void anEmptyTenantIsRefused() throws IOException {
        try (VectorStore vectors = VectorStores.open("memory:")) {
            assertThrows(IllegalArgumentException.class, () -> NylaEmbeddingStore.builder(vectors).tenant(""));
            NylaEmbeddingStore store = NylaEmbeddingStore.builder(vectors).build();
            assertThrows(IllegalArgumentException.class, () -> store.forTenant(""));
        }
    }

    @Test
    void maxResultsAboveWhatOneSearchReturnsIsRefused() throws IOException {
        try (VectorStore vectors = VectorStores.open("memory:")) {
            NylaEmbeddingStore store = NylaEmbeddingStore.builder(vectors).build();
            EmbeddingSearchRequest request = EmbeddingSearchRequest.builder()
                    .queryEmbedding(Embedding.from(new float[] {1, 0})).maxResults(10_001).build();

            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> store.search(request));

            assertTrue(e.getMessage().contains("maxResults: expected 1..10000")
                    && e.getMessage().endsWith("but was 10001"), e.getMessage());
        }
    }

    @Test
    void relevanceIsLangChain4jsScaleForEachSimilarity() {
        assertEquals(1.0, Relevance.of(Similarity.COSINE, 1f));
        assertEquals(0.5, Relevance.of(Similarity.COSINE, 0f));
        assertEquals(0.0, Relevance.of(Similarity.COSINE, -1f));
        assertEquals(0.75, Relevance.of(Similarity.DOT_PRODUCT, 0.5f));
        assertEquals(0.25, Relevance.of(Similarity.EUCLIDEAN, 0.25f), "1 / (1 + d²) as it is");
    }
}
