/**
 * LangChain4j on nyla-sync: {@link dev.nyla.sync.langchain4j.NylaEmbeddingStore}, an {@code EmbeddingStore} over
 * any synced {@link dev.nyla.sync.store.VectorStore}, and the embedding model adapters both ways,
 * {@link dev.nyla.sync.langchain4j.NylaEmbeddingModel} (a nyla {@code Embedder} as a LangChain4j
 * {@code EmbeddingModel}, keeping the model identity the guard checks) and
 * {@link dev.nyla.sync.langchain4j.LangChain4jEmbedder} (the reverse, with an identity the caller states).
 *
 * <p>No {@code module-info.java}: langchain4j-core 1.19.0 has neither a module descriptor nor an
 * {@code Automatic-Module-Name}, so a module could only require it by a name derived from its file name, which
 * changes with the file. This jar names itself {@code dev.nyla.sync.langchain4j} in its manifest, for
 * applications that put it on the module path as an automatic module.
 */
package dev.nyla.sync.langchain4j;
