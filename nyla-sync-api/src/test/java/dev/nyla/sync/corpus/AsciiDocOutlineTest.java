package dev.nyla.sync.corpus;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.SourceRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AsciiDocOutlineTest {
    @TempDir
    Path dir;

    static final String DEPLOY = """
            = Deploying the Service
            Jane Doe <jane@example.com>
            :toc: left
            :icons: font

            This guide shows how to deploy.

            == Prerequisites

            You need Docker.

            [source,bash]
            ----
            docker version
            == not a title inside a listing block
            ----

            === Registry access

            Log in first.

            ....
            = not a title inside a literal block
            ....

            // a comment line
            ////
            == A commented-out section
            ////

            [[rollback]]
            == Rolling back ==

            Run the previous image.

            ====
            == not a title inside an example block
            ====
            """;

    @Test
    void equalsTitlesGiveSectionsAndDelimitedBlocksHoldNone() throws IOException {
        Files.writeString(dir.resolve("deploy.adoc"), DEPLOY);
        Map<String, String> chunks = new LinkedHashMap<>();
        for (SourceRecord r : Corpus.fromDirectory(dir, 1500).records()) {
            chunks.put(r.id(), r.text());
        }
        assertEquals(List.of(
                "deploy.adoc#deploying-the-service",
                "deploy.adoc#deploying-the-service/prerequisites",
                "deploy.adoc#deploying-the-service/prerequisites/registry-access",
                "deploy.adoc#deploying-the-service/rolling-back"), List.copyOf(chunks.keySet()));
        assertEquals("Deploying the Service\n\nJane Doe <jane@example.com>\n\nThis guide shows how to deploy.",
                chunks.get("deploy.adoc#deploying-the-service"), "attribute entries dropped");
        String prerequisites = chunks.get("deploy.adoc#deploying-the-service/prerequisites");
        assertTrue(prerequisites.startsWith("Deploying the Service > Prerequisites\n\nYou need Docker."), prerequisites);
        assertTrue(prerequisites.contains("docker version\n== not a title inside a listing block"), prerequisites);
        String registry = chunks.get("deploy.adoc#deploying-the-service/prerequisites/registry-access");
        assertTrue(registry.contains("= not a title inside a literal block"), registry);
        assertFalse(registry.contains("comment"), "comments dropped: " + registry);
        String rollback = chunks.get("deploy.adoc#deploying-the-service/rolling-back");
        assertTrue(rollback.startsWith("Deploying the Service > Rolling back\n\nRun the previous image."), rollback);
        assertTrue(rollback.contains("== not a title inside an example block"), rollback);
    }

    @Test
    void aDocumentWithoutADocumentTitleIsNamedByItsFile() throws IOException {
        Files.writeString(dir.resolve("release_notes.asciidoc"), "Intro text.\n\n== Version 2\n\nNew things.\n");
        Map<String, String> chunks = new LinkedHashMap<>();
        for (SourceRecord r : Corpus.fromDirectory(dir, 1500).records()) {
            chunks.put(r.id(), r.text());
        }
        assertEquals(Map.of("release_notes.asciidoc#_intro", "release notes\n\nIntro text.",
                "release_notes.asciidoc#version-2", "release notes > Version 2\n\nNew things."), chunks);
    }
}
