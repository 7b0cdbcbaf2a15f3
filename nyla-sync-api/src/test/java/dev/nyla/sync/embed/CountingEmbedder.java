package dev.nyla.sync.embed;

import dev.nyla.sync.EmbeddingModel;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** Wraps an embedder and counts the texts it embeds, to check that only changed records are embedded. */
public final class CountingEmbedder implements Embedder {
    private final Embedder delegate;
    private final AtomicInteger texts = new AtomicInteger();
    private final List<String> seen = new ArrayList<>();

    public CountingEmbedder(Embedder delegate) {
        this.delegate = delegate;
    }

    @Override
    public EmbeddingModel model() {
        return delegate.model();
    }

    @Override
    public synchronized List<float[]> embed(List<String> batch) throws IOException {
        texts.addAndGet(batch.size());
        seen.addAll(batch);
        return delegate.embed(batch);
    }

    @Override
    public int preferredBatchSize() {
        return 7; // small, so tests cross batch boundaries
    }

    /** Texts embedded so far. */
    public int texts() {
        return texts.get();
    }

    /** The texts embedded so far, in order. */
    public synchronized List<String> seen() {
        return List.copyOf(seen);
    }
}
