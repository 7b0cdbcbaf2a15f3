package dev.nyla.sync.langchain4j;

import dev.langchain4j.data.document.Metadata;
import dev.langchain4j.data.segment.TextSegment;
import dev.nyla.sync.store.SearchHit;
import java.util.HashMap;
import java.util.Map;

/**
 * LangChain4j's {@link TextSegment} and a nyla record's text and metadata, both ways. nyla metadata is text:
 * a value of another type is written as its {@code toString} and read back as a string, which
 * {@link Metadata}'s typed getters ({@code getInteger}, {@code getUUID}, ...) parse.
 */
final class Segments {
    private Segments() {
    }

    /**
     * The segment of a hit: its text and metadata, or null for a record with blank text. Published records
     * always have text (a corpus refuses empty chunks); a blank one is an embedding added without a segment
     * ({@code add(Embedding)}), and LangChain4j returns those with no segment.
     */
    static TextSegment of(SearchHit hit) {
        if (hit.text().isBlank()) {
            return null;
        }
        return TextSegment.from(hit.text(), new Metadata(hit.metadata()));
    }

    /** The text a record stores for {@code segment}: empty for none. */
    static String text(TextSegment segment) {
        return segment == null ? "" : segment.text();
    }

    /** The metadata a record stores for {@code segment}: every value as its text. */
    static Map<String, String> metadata(TextSegment segment) {
        if (segment == null) {
            return Map.of();
        }
        Map<String, String> out = new HashMap<>();
        segment.metadata().toMap().forEach((key, value) -> out.put(key, MetadataFilters.text(value)));
        return out;
    }
}
