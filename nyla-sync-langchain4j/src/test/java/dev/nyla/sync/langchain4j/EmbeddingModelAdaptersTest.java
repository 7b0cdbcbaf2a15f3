package dev.nyla.sync.langchain4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.listener.EmbeddingModelListener;
import dev.langchain4j.model.embedding.listener.EmbeddingModelRequestContext;
import dev.langchain4j.model.embedding.listener.EmbeddingModelResponseContext;
import dev.langchain4j.model.output.Response;
import dev.nyla.sync.DimensionMismatchException;
import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.Similarity;
import dev.nyla.sync.demo.HashingEmbedder;
import dev.nyla.sync.embed.Embedder;
import dev.nyla.sync.embed.EmbeddingException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class EmbeddingModelAdaptersTest {
    private static final HashingEmbedder HASHING = new HashingEmbedder(64);

    @Test
    void aNylaEmbedderEmbedsForLangChain4jInItsPreferredBatches() throws IOException {
        Counting counting = new Counting(HASHING, 2);
        List<TextSegment> segments = List.of(TextSegment.from("one"), TextSegment.from("two"), TextSegment.from("three"));

        List<Embedding> embeddings = NylaEmbeddingModel.of(counting).embedAll(segments).content();

        assertEquals(List.of(2, 1), counting.batches);
        for (int i = 0; i < segments.size(); i++) {
            assertArrayEquals(HASHING.embed(segments.get(i).text()), embeddings.get(i).vector());
        }
    }

    @Test
    void dimensionAndNameComeFromTheIdentityWithoutEmbedding() {
        Counting counting = new Counting(HASHING, 32);
        NylaEmbeddingModel model = NylaEmbeddingModel.of(counting);

        assertEquals(64, model.dimension());
        assertEquals("nyla-hashing-bow", model.modelName());
        assertSame(HASHING.model(), model.model());
        assertEquals(List.of(), counting.batches);
    }

    @Test
    void listenersKeepTheNylaIdentityAndHearEachCall() {
        AtomicInteger requests = new AtomicInteger();
        AtomicInteger responses = new AtomicInteger();
        EmbeddingModelListener listener = new EmbeddingModelListener() {
            @Override
            public void onRequest(EmbeddingModelRequestContext context) {
                requests.incrementAndGet();
            }

            @Override
            public void onResponse(EmbeddingModelResponseContext context) {
                responses.incrementAndGet();
            }
        };

        dev.langchain4j.model.embedding.EmbeddingModel listened = NylaEmbeddingModel.of(HASHING).addListener(listener);
        listened.embed("hello");

        NylaEmbeddingModel nyla = assertInstanceOf(NylaEmbeddingModel.class, listened);
        assertEquals(HASHING.model(), nyla.model());
        assertEquals(1, requests.get());
        assertEquals(1, responses.get());
    }

    @Test
    void aVectorOfTheWrongLengthFromTheEmbedderIsRefused() {
        Embedder lying = new Embedder() {
            @Override
            public EmbeddingModel model() {
                return HASHING.model();
            }

            @Override
            public List<float[]> embed(List<String> texts) {
                return texts.stream().map(t -> new float[63]).toList();
            }
        };

        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> NylaEmbeddingModel.of(lying).embed("x"));

        DimensionMismatchException cause = assertInstanceOf(DimensionMismatchException.class, e.getCause());
        assertEquals("64", cause.expected());
        assertEquals("63", cause.actual());
    }

    @Test
    void aLangChain4jModelEmbedsForNylaUnderTheIdentityItIsGiven() throws IOException {
        EmbeddingModel identity = new EmbeddingModel("hashing-via-langchain4j", 64, Similarity.COSINE, true,
                HASHING.model().fingerprint());
        Embedder embedder = LangChain4jEmbedder.of(NylaEmbeddingModel.of(new Renamed(identity)), identity);

        assertEquals(identity, embedder.model());
        assertArrayEquals(HASHING.embed("knowledge base"), embedder.embed("knowledge base"));
    }

    @Test
    void wrappingANylaModelUnderAnotherIdentityIsRefused() {
        EmbeddingModel other = new EmbeddingModel("other", 64, Similarity.COSINE, true, "other/64");

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LangChain4jEmbedder.of(NylaEmbeddingModel.of(HASHING), other));

        assertTrue(e.getMessage().contains("nyla-hashing-bow-v3/64") && e.getMessage().contains("other/64"),
                e.getMessage());
    }

    @Test
    void aLangChain4jVectorOfAnotherDimensionIsRefused() {
        EmbeddingModel claimed = new EmbeddingModel("claimed", 384, Similarity.COSINE, true, "claimed/384");
        Embedder embedder = LangChain4jEmbedder.of(fixed(new float[] {1, 0, 0}), claimed);

        DimensionMismatchException e = assertThrows(DimensionMismatchException.class, () -> embedder.embed("x"));

        assertEquals("384", e.expected());
        assertEquals("3", e.actual());
    }

    @Test
    void aFailingLangChain4jModelIsAnEmbeddingException() {
        dev.langchain4j.model.embedding.EmbeddingModel failing = new dev.langchain4j.model.embedding.EmbeddingModel() {
            @Override
            public Response<List<Embedding>> embedAll(List<TextSegment> segments) {
                throw new IllegalStateException("quota exceeded");
            }
        };
        Embedder embedder = LangChain4jEmbedder.of(failing,
                new EmbeddingModel("hosted", 3, Similarity.COSINE, true, "hosted/v1"));

        EmbeddingException e = assertThrows(EmbeddingException.class, () -> embedder.embed(List.of("a", "b")));

        assertTrue(e.getMessage().contains("quota exceeded") && e.getMessage().contains("hosted"), e.getMessage());
    }

    private static dev.langchain4j.model.embedding.EmbeddingModel fixed(float[] vector) {
        return new dev.langchain4j.model.embedding.EmbeddingModel() {
            @Override
            public Response<List<Embedding>> embedAll(List<TextSegment> segments) {
                return Response.from(segments.stream().map(s -> Embedding.from(vector.clone())).toList());
            }
        };
    }

    /** The hashing embedder, recording the size of each batch it is asked to embed. */
    private static final class Counting implements Embedder {
        final List<Integer> batches = new ArrayList<>();
        private final HashingEmbedder delegate;
        private final int batchSize;

        Counting(HashingEmbedder delegate, int batchSize) {
            this.delegate = delegate;
            this.batchSize = batchSize;
        }

        @Override
        public EmbeddingModel model() {
            return delegate.model();
        }

        @Override
        public synchronized List<float[]> embed(List<String> texts) {
            batches.add(texts.size());
            return delegate.embed(texts);
        }

        @Override
        public int preferredBatchSize() {
            return batchSize;
        }
    }

    /** The hashing embedder under {@code identity}. */
    private record Renamed(EmbeddingModel identity) implements Embedder {
        @Override
        public EmbeddingModel model() {
            return identity;
        }

        @Override
        public List<float[]> embed(List<String> texts) {
            return HASHING.embed(texts);
        }
    }
}
