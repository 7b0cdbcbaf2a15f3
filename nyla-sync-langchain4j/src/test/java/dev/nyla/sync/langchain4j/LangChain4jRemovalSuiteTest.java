package dev.nyla.sync.langchain4j;

import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.store.embedding.EmbeddingStore;
import dev.langchain4j.store.embedding.EmbeddingStoreWithRemovalIT;
import org.junit.jupiter.api.BeforeEach;

/**
 * LangChain4j's own removal suite (from langchain4j-core's tests jar) on a writable NylaEmbeddingStore. Removal
 * by filter is not supported (the store lists ids, not metadata), which the suite's hook turns off.
 */
class LangChain4jRemovalSuiteTest extends EmbeddingStoreWithRemovalIT {
    private NylaEmbeddingStore store;

    @BeforeEach
    void freshStore() {
        store = WritableStores.fresh();
    }

    @Override
    protected EmbeddingStore<TextSegment> embeddingStore() {
        return store;
    }

    @Override
    protected EmbeddingModel embeddingModel() {
        return WritableStores.MODEL;
    }

    @Override
    protected boolean supportsRemoveAllByFilter() {
        return false;
    }
}
