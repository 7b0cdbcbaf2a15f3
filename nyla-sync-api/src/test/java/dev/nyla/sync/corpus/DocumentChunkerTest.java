package dev.nyla.sync.corpus;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Test;

class DocumentChunkerTest {
    @Test
    void contextIsTitleThenHeadingPathWithoutSayingTheTitleTwice() {
        assertEquals("Install", DocumentChunker.context("Install", List.of()));
        assertEquals("Install > On Linux", DocumentChunker.context("Install", List.of("Install", "On Linux")));
        assertEquals("Install > Options", DocumentChunker.context("Install", List.of("Options")));
        // A page title is its first heading and the site's name; the heading is not said again.
        assertEquals("What is Ownership? - The Rust Programming Language > The Stack",
                DocumentChunker.context("What is Ownership? - The Rust Programming Language", List.of("What Is Ownership?", "The Stack")));
        assertEquals("Configuration — Tool docs", DocumentChunker.context("Configuration — Tool docs", List.of("Configuration")));
        // A heading that only starts like the title is not the title.
        assertEquals("Install > Install extras", DocumentChunker.context("Install", List.of("Install extras")));
    }

    @Test
    void aTitleFromThePathIsItsWords() {
        assertEquals("create table", DocumentChunker.titleFromPath("dynamodb/create-table.rst"));
        assertEquals("release notes", DocumentChunker.titleFromPath("release_notes.adoc"));
        assertEquals("guide", DocumentChunker.titleFromPath("docs/guide/index.html"));
        assertEquals("README", DocumentChunker.titleFromPath("README.md"));
        assertEquals("--", DocumentChunker.titleFromPath("--.md"));
    }

    @Test
    void everyPartOfASplitSectionRepeatsTheContext() {
        String body = ("A sentence of the long section. ".repeat(10) + "\n\n").repeat(12);
        var outline = new DocumentChunker.Outline("Guide", List.of(new DocumentChunker.Section(2, "Long", body)));
        List<DocumentChunker.Chunk> chunks = DocumentChunker.sections(outline, "guide", 500);
        assertTrue(chunks.size() > 3, "parts: " + chunks.size());
        for (int i = 0; i < chunks.size(); i++) {
            assertEquals(i == 0 ? "long" : "long~" + (i + 1), chunks.get(i).anchor());
            assertTrue(chunks.get(i).text().startsWith("Guide > Long\n\nA sentence"), chunks.get(i).text());
        }
    }
}
