package dev.nyla.sync.corpus;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.SourceRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CorpusTest {
    @TempDir
    Path dir;

    @Test
    void jsonlLinesBecomeSortedRecordsWithTenantsAndMetadata() throws IOException {
        Path f = Files.writeString(dir.resolve("c.jsonl"), """
                {"id": "b", "text": "second", "metadata": {"lang": "en", "n": 3, "tags": ["x"], "gone": null}}

                {"id": 7, "tenant": "acme", "text": "numeric id"}
                {"id": "a", "text": "first"}
                """);
        Corpus c = Corpus.read(f);
        assertEquals(List.of(
                new SourceRecord("acme", "7", "numeric id", Map.of()),
                new SourceRecord("default", "a", "first", Map.of()),
                new SourceRecord("default", "b", "second", Map.of("lang", "en", "n", "3", "tags", "[\"x\"]"))),
                c.records());
    }

    @Test
    void aMalformedLineIsNamedByFileAndLineNumber() throws IOException {
        Path f = Files.writeString(dir.resolve("bad.jsonl"), "{\"id\": \"a\", \"text\": \"ok\"}\n{\"id\": \"b\", \"text\": \n");
        CorpusException e = assertThrows(CorpusException.class, () -> Corpus.fromJsonl(f));
        assertTrue(e.getMessage().startsWith(f + " line 2: not valid JSON"), e.getMessage());
    }

    @Test
    void missingOrWrongFieldsAreNamed() throws IOException {
        String[][] cases = {
                {"{\"text\": \"no id\"}", "field id"},
                {"{\"id\": \"a\"}", "field text"},
                {"{\"id\": \"a\", \"text\": \"\"}", "field text"},
                {"{\"id\": [1], \"text\": \"x\"}", "field id"},
                {"{\"id\": \"a\", \"text\": \"x\", \"tenant\": 5}", "field tenant"},
                {"{\"id\": \"a\", \"text\": \"x\", \"metadata\": [1]}", "field metadata"},
                {"[1, 2]", "a JSON object"},
        };
        for (String[] c : cases) {
            Path f = Files.writeString(dir.resolve("case.jsonl"), c[0] + "\n");
            CorpusException e = assertThrows(CorpusException.class, () -> Corpus.fromJsonl(f), c[0]);
            assertTrue(e.getMessage().contains("line 1") && e.getMessage().contains(c[1]), e.getMessage());
        }
    }

    @Test
    void aRecordOverTheFormatsLimitsIsRefusedWhereItIsRead() throws IOException {
        Path f = Files.writeString(dir.resolve("big.jsonl"), "{\"id\": \"a\", \"text\": \"ok\"}\n"
                + "{\"id\": \"b\", \"text\": \"x\", \"metadata\": {\"k\": \"" + "v".repeat(70_000) + "\"}}\n");
        CorpusException e = assertThrows(CorpusException.class, () -> Corpus.fromJsonl(f));
        assertTrue(e.getMessage().contains("line 2") && e.getMessage().contains("65536"), e.getMessage());
    }

    @Test
    void duplicateIdsNameBothLines() throws IOException {
        Path f = Files.writeString(dir.resolve("dup.jsonl"),
                "{\"id\": \"a\", \"text\": \"x\"}\n{\"id\": \"b\", \"text\": \"y\"}\n{\"id\": \"a\", \"text\": \"z\"}\n");
        CorpusException e = assertThrows(CorpusException.class, () -> Corpus.fromJsonl(f));
        assertTrue(e.getMessage().contains("line 3") && e.getMessage().contains("line 1"), e.getMessage());
    }

    @Test
    void invalidUtf8IsRefused() throws IOException {
        Path f = dir.resolve("latin1.jsonl");
        Files.write(f, new byte[] {'{', '"', 'i', 'd', '"', ':', '"', (byte) 0xE9, '"', '}', '\n'});
        CorpusException e = assertThrows(CorpusException.class, () -> Corpus.fromJsonl(f));
        assertTrue(e.getMessage().contains("UTF-8"), e.getMessage());
    }

    @Test
    void markdownIsChunkedByHeadingWithStableAnchorsAndTitleTrails() throws IOException {
        Files.createDirectories(dir.resolve("docs/guide"));
        Files.writeString(dir.resolve("docs/guide/install.md"), """
                Intro paragraph before any heading.

                # Install

                Get the jar.

                ## On Linux

                Run the launcher.

                ```bash
                # not a heading: a shell comment
                ./nyla demo
                ```

                ## On Linux

                A second section with the same heading.

                # Empty

                ### Deep
                Deep text.
                """);
        Files.writeString(dir.resolve("docs/notes.txt"), "First paragraph.\n\nSecond paragraph.\n");
        Files.writeString(dir.resolve("docs/.hidden.md"), "# Secret\n\nskip me\n");
        Files.writeString(dir.resolve("docs/image.png"), "not text");
        Corpus c = Corpus.fromDirectory(dir.resolve("docs"), 1500);
        List<String> ids = c.records().stream().map(SourceRecord::id).toList();
        assertEquals(List.of(
                "guide/install.md#_intro",
                "guide/install.md#empty/deep",
                "guide/install.md#install",
                "guide/install.md#install/on-linux",
                "guide/install.md#install/on-linux-2",
                "notes.txt#p1"), ids);
        SourceRecord linux = c.records().get(3);
        assertEquals("Install > On Linux", linux.metadata().get("title"));
        assertEquals("guide/install.md", linux.metadata().get("source"));
        assertTrue(linux.text().startsWith("Install > On Linux\n\nRun the launcher."), linux.text());
        assertTrue(linux.text().contains("# not a heading"), "fenced code stays in its section");
        assertEquals("notes\n\nFirst paragraph.\n\nSecond paragraph.", c.records().get(5).text());
        // The document's title (its first level-1 heading) gives the context where headings do not.
        assertEquals("Install\n\nIntro paragraph before any heading.", c.records().get(0).text());
        assertTrue(c.records().get(1).text().startsWith("Install > Empty > Deep\n\nDeep text."), c.records().get(1).text());
        assertEquals(List.of("guide/install.md", "notes.txt"), c.documents());
        assertEquals(List.of("image.png"), c.unreadFiles(), "hidden files are skipped, others listed");
    }

    @Test
    void aCorpusDirectoryThatIsALinkIsReadWhereItPointsWhileLinksInsideAreNot() throws IOException {
        Files.createDirectories(dir.resolve("real/guide"));
        Files.writeString(dir.resolve("real/guide/a.md"), "# A\n\nText of a.\n");
        Files.writeString(dir.resolve("elsewhere.md"), "# Elsewhere\n\nnot part of the corpus\n");
        Files.createSymbolicLink(dir.resolve("real/outside.md"), dir.resolve("elsewhere.md"));
        Path link = Files.createSymbolicLink(dir.resolve("docs"), dir.resolve("real"));
        Corpus c = Corpus.fromDirectory(link, 1500);
        assertEquals(List.of("guide/a.md#a"), c.records().stream().map(SourceRecord::id).toList());
        assertEquals(List.of("outside.md"), c.unreadFiles());
    }

    @Test
    void repeatedHeadingsGetDistinctAnchorsEvenWhenASuffixLooksLikeAHeading() throws IOException {
        Files.writeString(dir.resolve("a.md"), "# Setup\n\none\n\n# Setup\n\ntwo\n\n# Setup 2\n\nthree\n");
        List<String> ids = Corpus.fromDirectory(dir, 1500).records().stream().map(SourceRecord::id).toList();
        assertEquals(3, ids.size());
        assertEquals(3, new java.util.HashSet<>(ids).size(), ids.toString());
    }

    @Test
    void symbolicLinksAreNotFollowedOutOfTheDocsTree() throws IOException {
        Path outside = Files.writeString(Files.createTempFile("secret", ".txt"), "TOP SECRET");
        try {
            Files.createDirectories(dir.resolve("docs"));
            Files.writeString(dir.resolve("docs/real.md"), "# Real\n\ncontent\n");
            Files.createSymbolicLink(dir.resolve("docs/leak.txt"), outside);
            List<SourceRecord> records = Corpus.fromDirectory(dir.resolve("docs"), 1500).records();
            assertEquals(1, records.size());
            assertTrue(records.stream().noneMatch(r -> r.text().contains("SECRET")));
        } finally {
            Files.delete(outside);
        }
    }

    @Test
    void windowsLineEndsChunkLikeUnixOnes() throws IOException {
        Files.writeString(dir.resolve("u.txt"), "One.\n\nTwo.\n");
        List<SourceRecord> unix = Corpus.fromDirectory(dir, 1500).records();
        Files.writeString(dir.resolve("u.txt"), "One.\r\n\r\nTwo.\r\n");
        List<SourceRecord> windows = Corpus.fromDirectory(dir, 1500).records();
        assertEquals(unix, windows);
    }

    @Test
    void anUnpairedSurrogateInJsonlIsRefusedNamingTheLine() throws IOException {
        Path f = Files.writeString(dir.resolve("s.jsonl"), "{\"id\": \"a\", \"text\": \"cut \\ud83d\"}\n");
        CorpusException e = assertThrows(CorpusException.class, () -> Corpus.fromJsonl(f));
        assertTrue(e.getMessage().contains("line 1") && e.getMessage().contains("surrogate"), e.getMessage());
    }

    @Test
    void editingOneSectionChangesOnlyThatChunk() throws IOException {
        Path doc = dir.resolve("a.md");
        Files.writeString(doc, "# A\n\none\n\n# B\n\ntwo\n\n# C\n\nthree\n");
        List<SourceRecord> before = Corpus.fromDirectory(dir, 1500).records();
        Files.writeString(doc, "# A\n\none\n\n# B\n\ntwo, edited\n\n# C\n\nthree\n");
        List<SourceRecord> after = Corpus.fromDirectory(dir, 1500).records();
        assertEquals(before.stream().map(SourceRecord::id).toList(), after.stream().map(SourceRecord::id).toList());
        assertEquals(before.get(0), after.get(0));
        assertNotEquals(before.get(1), after.get(1));
        assertEquals(before.get(2), after.get(2));
    }

    @Test
    void longSectionsAreSplitAtParagraphsIntoNumberedParts() throws IOException {
        StringBuilder body = new StringBuilder("# Long\n\n");
        for (int i = 0; i < 30; i++) {
            body.append("Paragraph ").append(i).append(" ").append("word ".repeat(20)).append("\n\n");
        }
        Files.writeString(dir.resolve("long.md"), body);
        List<SourceRecord> chunks = Corpus.fromDirectory(dir, 500).records();
        assertTrue(chunks.size() > 3, "split into " + chunks.size());
        assertEquals("long.md#long", chunks.get(0).id());
        assertTrue(chunks.stream().allMatch(s -> s.text().length() <= 500), "every part within the limit");
        assertTrue(chunks.stream().skip(1).allMatch(s -> s.id().matches("long\\.md#long~\\d+")));
        String all = String.join(" ", chunks.stream().map(SourceRecord::text).toList());
        for (int i = 0; i < 30; i++) {
            assertTrue(all.contains("Paragraph " + i + " "), "paragraph " + i + " kept");
        }
    }
    @Test
    void aDocumentWithoutHeadingsIsTitledByItsFileNameInEveryPart() throws IOException {
        Files.createDirectories(dir.resolve("dynamodb"));
        StringBuilder json = new StringBuilder("The following example creates a table.\n\n");
        for (int i = 0; i < 40; i++) {
            json.append("    \"AttributeName\": \"attr").append(i).append("\",\n    \"KeyType\": \"HASH\"\n\n");
        }
        Files.writeString(dir.resolve("dynamodb/create-table.md"), json);
        Files.writeString(dir.resolve("dynamodb/index.md"), "Commands of the service.\n");
        List<SourceRecord> records = Corpus.fromDirectory(dir, 500).records();
        List<SourceRecord> table = records.stream().filter(r -> r.id().startsWith("dynamodb/create-table.md#_intro")).toList();
        assertTrue(table.size() > 2, "split into " + table.size());
        for (SourceRecord r : table) {
            assertTrue(r.text().startsWith("create table\n\n"), r.text());
            assertEquals("create table", r.metadata().get("title"));
        }
        SourceRecord index = records.stream().filter(r -> r.id().equals("dynamodb/index.md#_intro")).findFirst().orElseThrow();
        assertEquals("dynamodb\n\nCommands of the service.", index.text(), "an index is named after its directory");
    }

    @Test
    void theTitleIsAddedToHeadingsThatDoNotStartWithIt() throws IOException {
        Files.writeString(dir.resolve("setup-guide.md"), "## Requirements\n\nJava 21.\n\n# Setup\n\nRun it.\n\n## Network\n\nPort 80.\n");
        Files.writeString(dir.resolve("plain.md"), "## Options\n\nNone.\n");
        Map<String, String> texts = new java.util.TreeMap<>();
        Corpus.fromDirectory(dir, 1500).records().forEach(r -> texts.put(r.id(), r.text()));
        assertEquals(Map.of(
                "setup-guide.md#requirements", "Setup > Requirements\n\nJava 21.",
                "setup-guide.md#setup", "Setup\n\nRun it.",
                "setup-guide.md#setup/network", "Setup > Network\n\nPort 80.",
                "plain.md#options", "plain > Options\n\nNone."), texts);
    }

    @Test
    void filesOfOtherTypesAndLinksAreListedAsNotRead() throws IOException {
        Files.createDirectories(dir.resolve("src/.git"));
        Files.writeString(dir.resolve("src/README.MD"), "# Readme\n\ntext\n");
        Files.writeString(dir.resolve("src/conf.py"), "project = 'x'\n");
        Files.writeString(dir.resolve("src/Makefile"), "all:\n");
        Files.writeString(dir.resolve("src/.git/config"), "[core]\n");
        Files.createSymbolicLink(dir.resolve("src/linked.md"), dir.resolve("src/README.MD"));
        Corpus c = Corpus.fromDirectory(dir.resolve("src"), 1500);
        assertEquals(List.of("README.MD"), c.documents(), "extensions in any case");
        assertEquals(List.of("Makefile", "conf.py", "linked.md"), c.unreadFiles());
        assertEquals(List.of(".md", ".markdown", ".txt", ".rst", ".html", ".htm", ".adoc", ".asciidoc"),
                Corpus.DOCUMENT_EXTENSIONS);
    }

    @Test
    void aFileGivenByNameWithAnUnknownExtensionIsRefusedNamingIt() throws IOException {
        Path f = Files.writeString(dir.resolve("notes.docx"), "binary");
        CorpusException e = assertThrows(CorpusException.class, () -> Corpus.fromDocuments(dir, List.of(f), 1500));
        assertTrue(e.getMessage().contains("notes.docx") && e.getMessage().contains(".docx")
                && e.getMessage().contains(".rst"), e.getMessage());
    }

    @Test
    void aByteOrderMarkDoesNotHideTheFirstHeading() throws IOException {
        Files.writeString(dir.resolve("bom.md"), "\uFEFF# Title\n\nBody.\n");
        List<SourceRecord> records = Corpus.fromDirectory(dir, 1500).records();
        assertEquals(List.of("bom.md#title"), records.stream().map(SourceRecord::id).toList());
    }
}
