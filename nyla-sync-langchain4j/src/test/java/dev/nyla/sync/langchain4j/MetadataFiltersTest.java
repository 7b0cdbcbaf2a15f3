package dev.nyla.sync.langchain4j;

import static dev.langchain4j.store.embedding.filter.MetadataFilterBuilder.metadataKey;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.store.embedding.filter.Filter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class MetadataFiltersTest {

    @Test
    void noFilterIsOneSearchOfEverything() {
        assertEquals(List.of(Map.of()), MetadataFilters.conjunctions(null, "memory:"));
    }

    @Test
    void isInIsOneSearchPerValue() {
        assertEquals(new HashSet<>(List.of(Map.of("lang", "en"), Map.of("lang", "de"))),
                new HashSet<>(MetadataFilters.conjunctions(metadataKey("lang").isIn("en", "de"), "memory:")));
    }

    @Test
    void andCombinesEveryPairAndDropsContradictions() {
        Filter f = metadataKey("lang").isIn("en", "de").and(metadataKey("lang").isEqualTo("en"))
                .and(metadataKey("year").isIn(2024, 2025));

        assertEquals(new HashSet<>(List.of(Map.of("lang", "en", "year", "2024"), Map.of("lang", "en", "year", "2025"))),
                new HashSet<>(MetadataFilters.conjunctions(f, "memory:")));
    }

    @Test
    void aFilterNothingSatisfiesIsNoSearchAtAll() {
        Filter f = metadataKey("lang").isEqualTo("en").and(metadataKey("lang").isEqualTo("de"));

        assertEquals(List.of(), MetadataFilters.conjunctions(f, "memory:"));
    }

    @Test
    void orIsTheUnionWithoutRepeats() {
        Filter f = metadataKey("lang").isEqualTo("en").or(metadataKey("lang").isIn("en", "fr"));

        assertEquals(2, MetadataFilters.conjunctions(f, "memory:").size());
    }

    @Test
    void valuesCompareAsTheirText() {
        UUID id = UUID.fromString("123e4567-e89b-12d3-a456-426614174000");
        Filter f = metadataKey("n").isEqualTo(7L).and(metadataKey("x").isEqualTo(1.5)).and(metadataKey("u").isEqualTo(id));

        assertEquals(List.of(Map.of("n", "7", "x", "1.5", "u", id.toString())), MetadataFilters.conjunctions(f, "memory:"));
    }

    @Test
    void aNegationInsideAnAndIsRefusedNamingItAndTheWholeFilter() {
        Filter f = metadataKey("lang").isEqualTo("en").and(Filter.not(metadataKey("draft").isEqualTo("true")));

        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> MetadataFilters.conjunctions(f, "lucene:/kb"));

        assertTrue(e.getMessage().startsWith("lucene:/kb: the metadata filter Not("), e.getMessage());
        assertTrue(e.getMessage().contains("(in And("), e.getMessage());
    }

    @Test
    void aFilterClassOfTheApplicationsOwnIsRefusedByClass() {
        Filter custom = object -> true;

        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> MetadataFilters.conjunctions(custom, "memory:"));

        assertTrue(e.getMessage().contains(custom.getClass().getName()), e.getMessage());
    }

    @Test
    void aFilterOfMoreThan64SearchesIsRefused() {
        List<Object> nine = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            nine.add("v" + i);
        }
        Filter f = metadataKey("a").isIn(nine).and(metadataKey("b").isIn(nine));

        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> MetadataFilters.conjunctions(f, "memory:"));

        assertTrue(e.getMessage().contains("expands to 81 store searches"), e.getMessage());
    }
}
