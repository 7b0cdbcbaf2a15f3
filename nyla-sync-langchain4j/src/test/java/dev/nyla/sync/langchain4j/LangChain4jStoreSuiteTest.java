package dev.nyla.sync.langchain4j;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.document.Metadata;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.store.embedding.EmbeddingSearchRequest;
import dev.langchain4j.store.embedding.EmbeddingStore;
import dev.langchain4j.store.embedding.EmbeddingStoreWithFilteringIT;
import dev.langchain4j.store.embedding.filter.Filter;
import dev.langchain4j.store.embedding.filter.comparison.IsEqualTo;
import dev.langchain4j.store.embedding.filter.comparison.IsIn;
import dev.langchain4j.store.embedding.filter.logical.And;
import dev.langchain4j.store.embedding.filter.logical.Or;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * LangChain4j's own embedding store suite (from langchain4j-core's tests jar: EmbeddingStoreIT, its tests
 * without metadata, and the filtering tests) on a writable NylaEmbeddingStore over an in-memory store.
 *
 * <p>Two departures, both about filters the store cannot run: the suite's filter cases are split by what nyla
 * metadata can express. Equality filters ({@code IsEqualTo}, {@code IsIn}, {@code And} and {@code Or} of them)
 * run the suite's own check; every other case (ranges, {@code IsNotEqualTo}, {@code IsNotIn}, {@code Not}) must be
 * refused with an {@link UnsupportedOperationException} naming the filter, as the suite's {@code ContainsString}
 * case expects of a store without it.
 */
class LangChain4jStoreSuiteTest extends EmbeddingStoreWithFilteringIT {
    private NylaEmbeddingStore store;

    @Override
    protected void ensureStoreIsReady() {
        // The suite's @BeforeEach starts here, before any other method asks for the store.
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

    /** The store's hits carry no vectors, so matches have none to compare. */
    @Override
    protected boolean assertEmbedding() {
        return false;
    }

    @Override
    @ParameterizedTest
    @MethodSource("equalityCases")
    protected void should_filter_by_metadata(Filter filter, List<Metadata> matching, List<Metadata> notMatching) {
        super.should_filter_by_metadata(filter, matching, notMatching);
    }

    @ParameterizedTest
    @MethodSource("otherCases")
    void refusesTheSuitesOtherFiltersByName(Filter filter, List<Metadata> matching, List<Metadata> notMatching) {
        assertRefused(filter);
    }

    @Override
    @ParameterizedTest
    @MethodSource("should_filter_by_metadata_not")
    protected void should_filter_by_metadata_not(Filter filter, List<Metadata> matching, List<Metadata> notMatching) {
        assertRefused(filter);
    }

    static Stream<Arguments> equalityCases() {
        return should_filter_by_metadata().filter(a -> isEquality((Filter) a.get()[0]));
    }

    static Stream<Arguments> otherCases() {
        return should_filter_by_metadata().filter(a -> !isEquality((Filter) a.get()[0]));
    }

    private void assertRefused(Filter filter) {
        EmbeddingSearchRequest request = EmbeddingSearchRequest.builder()
                .queryEmbedding(embeddingModel().embed("matching").content()).filter(filter).maxResults(100).build();
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> store.search(request));
        assertTrue(e.getMessage().contains(filter.toString()), e.getMessage());
    }

    /** Whether nyla metadata can express {@code f}: equalities combined with And and Or. */
    private static boolean isEquality(Filter f) {
        return switch (f) {
            case IsEqualTo e -> true;
            case IsIn in -> true;
            case And and -> isEquality(and.left()) && isEquality(and.right());
            case Or or -> isEquality(or.left()) && isEquality(or.right());
            default -> false;
        };
    }
}
