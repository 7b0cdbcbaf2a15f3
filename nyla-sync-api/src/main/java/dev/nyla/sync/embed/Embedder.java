package dev.nyla.sync.embed;

import dev.nyla.sync.EmbeddingModel;
import java.io.Closeable;
import java.io.IOException;
import java.util.List;

/**
 * Turns text into vectors: the SPI for embedding models.
 *
 * <p>The publisher embeds the corpus with it, the reconciler embeds changed source records, and the
 * application embeds its queries. Query and stored vectors must come from the same {@link #model()}
 * (same fingerprint), which the sync client checks before installing an artifact.
 *
 * <p>Implementations are thread-safe and may hold native resources, which {@link #close()} releases.
 */
public interface Embedder extends Closeable {

    /** The model's identity: id, dimension, similarity, normalization and fingerprint. */
    EmbeddingModel model();

    /**
     * Embeds a batch of texts.
     *
     * @return one vector per text, in the same order, each of length {@code model().dimension()}
     * @throws EmbeddingException when the model fails; no partial result is returned
     */
    List<float[]> embed(List<String> texts) throws IOException;

    /** Embeds one text, as {@code embed(List.of(text)).get(0)}. */
    default float[] embed(String text) throws IOException {
        return embed(List.of(text)).get(0);
    }

    /** The batch size the model runs best at; callers split larger inputs into batches of this size. */
    default int preferredBatchSize() {
        return 32;
    }

    /** Releases the model's resources. */
    @Override
    default void close() throws IOException {
    }
}
