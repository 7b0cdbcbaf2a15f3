package dev.nyla.sync.langchain4j;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.output.Response;
import dev.nyla.sync.DimensionMismatchException;
import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.embed.Embedder;
import dev.nyla.sync.embed.EmbeddingException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A nyla {@link Embedder} that embeds with a LangChain4j {@link dev.langchain4j.model.embedding.EmbeddingModel}:
 * for publishing with a model an application already has in LangChain4j (a hosted one, say), and for giving the
 * sync client and the reconciler the model the application embeds its queries with.
 *
 * <p>A LangChain4j model does not say which model it is in a way two machines can compare, so the caller
 * states it: the {@link EmbeddingModel} identity, with a fingerprint that changes whenever the vectors would
 * (for a hosted model, its provider, name and version; for local weights, their SHA-256). nyla-sync trusts it:
 * the model guard compares fingerprints, never vectors. Every vector is checked against the stated dimension.
 *
 * <pre>{@code
 * Embedder embedder = LangChain4jEmbedder.of(openAiModel, new EmbeddingModel(
 *         "text-embedding-3-small", 1536, Similarity.COSINE, true, "openai/text-embedding-3-small"));
 * }</pre>
 *
 * <p>{@link #close()} does nothing: the LangChain4j model stays the caller's.
 */
public final class LangChain4jEmbedder implements Embedder {
    private final dev.langchain4j.model.embedding.EmbeddingModel delegate;
    private final EmbeddingModel model;

    private LangChain4jEmbedder(dev.langchain4j.model.embedding.EmbeddingModel delegate, EmbeddingModel model) {
        this.delegate = delegate;
        this.model = model;
    }

    /**
     * A nyla embedder that embeds with {@code delegate}, whose vectors are {@code model}'s.
     *
     * @throws IllegalArgumentException when {@code delegate} is a {@link NylaEmbeddingModel} of another model:
     *         its identity is known, and a second, different one would defeat the model guard
     */
    public static LangChain4jEmbedder of(dev.langchain4j.model.embedding.EmbeddingModel delegate,
                                         EmbeddingModel model) {
        Objects.requireNonNull(delegate, "delegate");
        Objects.requireNonNull(model, "model");
        if (delegate instanceof NylaEmbeddingModel nyla && !nyla.model().equals(model)) {
            throw new IllegalArgumentException("model: expected the identity of the NylaEmbeddingModel it wraps, "
                    + nyla.model() + ", but was " + model + "; pass nyla.model(), or the embedder it wraps");
        }
        return new LangChain4jEmbedder(delegate, model);
    }

    @Override
    public EmbeddingModel model() {
        return model;
    }

    /**
     * Embeds {@code texts} with the LangChain4j model in one call.
     *
     * @throws EmbeddingException wrapping the model's failure, or when it returns another number of vectors
     * @throws DimensionMismatchException when a vector's length is not the stated dimension
     */
    @Override
    public List<float[]> embed(List<String> texts) throws EmbeddingException, DimensionMismatchException {
        List<TextSegment> segments = new ArrayList<>(texts.size());
        for (String text : texts) {
            segments.add(TextSegment.from(text));
        }
        List<Embedding> embeddings;
        try {
            Response<List<Embedding>> response = delegate.embedAll(segments);
            embeddings = response.content();
        } catch (RuntimeException e) {
            throw new EmbeddingException(model.id() + " (LangChain4j " + delegate.getClass().getSimpleName()
                    + "): embedding " + texts.size() + " texts failed: " + e.getMessage(), e);
        }
        if (embeddings == null || embeddings.size() != texts.size()) {
            throw new EmbeddingException(model.id() + " (LangChain4j " + delegate.getClass().getSimpleName() + ")",
                    "vectors for " + texts.size() + " texts", texts.size(), embeddings == null ? 0 : embeddings.size());
        }
        List<float[]> out = new ArrayList<>(embeddings.size());
        for (int i = 0; i < embeddings.size(); i++) {
            float[] vector = embeddings.get(i).vector();
            if (vector.length != model.dimension()) {
                throw new DimensionMismatchException(model.id() + " (LangChain4j "
                        + delegate.getClass().getSimpleName() + "), text " + i, model.dimension(), vector.length);
            }
            out.add(vector);
        }
        return out;
    }

    @Override
    public String toString() {
        return "LangChain4jEmbedder[" + model.id() + ", " + model.dimension() + " dims, fingerprint "
                + model.fingerprint() + ", " + delegate.getClass().getSimpleName() + "]";
    }
}
