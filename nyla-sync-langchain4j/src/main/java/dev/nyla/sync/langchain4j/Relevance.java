package dev.nyla.sync.langchain4j;

import dev.langchain4j.store.embedding.RelevanceScore;
import dev.nyla.sync.Similarity;

/**
 * A nyla store's score as LangChain4j's relevance score, the scale {@code minScore} is given on and its own
 * stores report: in [0, 1], higher is more relevant.
 */
final class Relevance {
    private Relevance() {
    }

    /**
     * The relevance of a hit the store scored {@code score} under {@code similarity}.
     *
     * <ul>
     *   <li>{@link Similarity#COSINE}: {@code (cos + 1) / 2}, LangChain4j's
     *       {@link RelevanceScore#fromCosineSimilarity} (what its in-memory store reports).
     *   <li>{@link Similarity#DOT_PRODUCT}: the same formula: equal to the cosine's for unit-length vectors (the
     *       models nyla-sync ships); for vectors of other lengths the order is right but the value may leave
     *       [0, 1].
     *   <li>{@link Similarity#EUCLIDEAN}: the store's {@code 1 / (1 + d²)} as it is, already in (0, 1].
     * </ul>
     */
    static double of(Similarity similarity, float score) {
        return switch (similarity) {
            case COSINE, DOT_PRODUCT -> RelevanceScore.fromCosineSimilarity(score);
            case EUCLIDEAN -> score;
        };
    }
}
