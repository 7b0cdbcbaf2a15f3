package dev.nyla.sync.langchain4j;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.listener.EmbeddingModelListener;
import dev.langchain4j.model.embedding.request.EmbeddingInput;
import dev.langchain4j.model.embedding.request.EmbeddingRequest;
import dev.langchain4j.model.embedding.response.EmbeddingResponse;
import dev.nyla.sync.DimensionMismatchException;
import dev.nyla.sync.embed.Embedder;
import dev.nyla.sync.embed.EmbeddingException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A LangChain4j {@link EmbeddingModel} that embeds with a nyla {@link Embedder}, keeping the embedder's model
 * identity ({@link #model()}: id, dimension, similarity, fingerprint), so that the model guard holds on the
 * LangChain4j side too: {@link NylaEmbeddingStore.Builder#embeddingModel} refuses a store whose vectors come
 * from another model, as the sync client refuses such an artifact.
 *
 * <pre>{@code
 * DjlEmbedder embedder = DjlEmbedder.builder().build();      // all-MiniLM-L6-v2, offline
 * EmbeddingModel model = NylaEmbeddingModel.of(embedder);     // for LangChain4j's retrievers and ingestors
 * }</pre>
 *
 * <p>{@link #dimension()} and {@link #modelName()} answer from the identity, without embedding anything. A
 * failure of the embedder surfaces as an {@link UncheckedIOException} whose cause is the embedder's
 * exception (LangChain4j's methods declare none). The embedder stays the caller's: this model does not close
 * it. {@link #addListener} returns another {@code NylaEmbeddingModel}, so the identity survives listeners
 * (LangChain4j's default wraps the model in a class of its own, which would hide it).
 *
 * <p>Thread-safe when the embedder is, as nyla embedders are.
 */
public final class NylaEmbeddingModel implements EmbeddingModel {
    private final Embedder embedder;
    private final List<EmbeddingModelListener> listeners;

    private NylaEmbeddingModel(Embedder embedder, List<EmbeddingModelListener> listeners) {
        this.embedder = Objects.requireNonNull(embedder, "embedder");
        this.listeners = List.copyOf(listeners);
    }

    /** A LangChain4j model that embeds with {@code embedder}. */
    public static NylaEmbeddingModel of(Embedder embedder) {
        return new NylaEmbeddingModel(embedder, List.of());
    }

    /** The nyla model identity of every vector this model returns: the embedder's {@link Embedder#model()}. */
    public dev.nyla.sync.EmbeddingModel model() {
        return embedder.model();
    }

    /**
     * Embeds the request's texts with the embedder, in batches of its
     * {@linkplain Embedder#preferredBatchSize() preferred size}. LangChain4j's {@link #embed(EmbeddingRequest)}
     * calls this after refusing content other than text and parameters this model does not take (it takes
     * none: a nyla model has one dimension and no input types), and tells the listeners.
     *
     * @throws UncheckedIOException wrapping the embedder's failure, a {@link DimensionMismatchException} when it
     *         returns a vector whose length is not its model's dimension, or an {@link EmbeddingException} when
     *         it returns another number of vectors than it was given texts
     */
    @Override
    public EmbeddingResponse doEmbed(EmbeddingRequest request) {
        List<String> texts = new ArrayList<>(request.inputs().size());
        for (EmbeddingInput input : request.inputs()) {
            texts.add(input.text());
        }
        dev.nyla.sync.EmbeddingModel model = embedder.model();
        List<Embedding> embeddings = new ArrayList<>(texts.size());
        int batch = Math.max(1, embedder.preferredBatchSize());
        try {
            for (int from = 0; from < texts.size(); from += batch) {
                List<String> part = texts.subList(from, Math.min(texts.size(), from + batch));
                List<float[]> vectors = embedder.embed(part);
                if (vectors.size() != part.size()) {
                    throw new EmbeddingException("embedder " + model.id(), "vectors for " + part.size() + " texts",
                            part.size(), vectors.size());
                }
                for (float[] vector : vectors) {
                    if (vector.length != model.dimension()) {
                        throw new DimensionMismatchException("embedder " + model.id() + ", text " + embeddings.size()
                                + " of the request", model.dimension(), vector.length);
                    }
                    embeddings.add(Embedding.from(vector));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(model.id() + ": embedding " + texts.size() + " texts failed: "
                    + e.getMessage(), e);
        }
        return EmbeddingResponse.builder().embeddings(embeddings).modelName(model.id()).build();
    }

    /** The model's dimension, from its identity: no text is embedded to find it. */
    @Override
    public int dimension() {
        return embedder.model().dimension();
    }

    /** The nyla model id, such as {@code all-MiniLM-L6-v2}. */
    @Override
    public String modelName() {
        return embedder.model().id();
    }

    @Override
    public List<EmbeddingModelListener> listeners() {
        return listeners;
    }

    /** This model with {@code more} listeners as well; still a {@code NylaEmbeddingModel}, with the same identity. */
    @Override
    public EmbeddingModel addListeners(List<EmbeddingModelListener> more) {
        if (more == null || more.isEmpty()) {
            return this;
        }
        List<EmbeddingModelListener> all = new ArrayList<>(listeners);
        all.addAll(more);
        return new NylaEmbeddingModel(embedder, all);
    }

    @Override
    public String toString() {
        dev.nyla.sync.EmbeddingModel m = embedder.model();
        return "NylaEmbeddingModel[" + m.id() + ", " + m.dimension() + " dims, " + m.similarity().wireName()
                + ", fingerprint " + m.fingerprint() + "]";
    }
}
