package dev.nyla.sync.langchain4j;

import dev.nyla.sync.demo.HashingEmbedder;
import dev.nyla.sync.store.GenerationSpec;
import dev.nyla.sync.store.GenerationWriter;
import dev.nyla.sync.store.VectorStore;
import dev.nyla.sync.store.VectorStores;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A fresh, writable store for LangChain4j's suites: an in-memory store with an empty generation of the hashing
 * model active (mutable mode writes into the active generation), behind a NylaEmbeddingStore that allows writes.
 */
final class WritableStores {
    static final HashingEmbedder EMBEDDER = new HashingEmbedder();
    static final NylaEmbeddingModel MODEL = NylaEmbeddingModel.of(EMBEDDER);

    private WritableStores() {
    }

    static NylaEmbeddingStore fresh() {
        try {
            VectorStore vectors = VectorStores.open("memory:");
            try (GenerationWriter writer = vectors.newGeneration(GenerationSpec.of(0, "empty", EMBEDDER.model()))) {
                vectors.activate(writer.commit().id());
            }
            return NylaEmbeddingStore.builder(vectors).embeddingModel(MODEL).allowWrites(true).build();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
