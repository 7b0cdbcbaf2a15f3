package dev.nyla.sync.corpus;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.SourceRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pins the ids Markdown chunks had before other formats and chunk context were added (commit 7e77058):
 * an upgrade must not turn unchanged sections into new ids, or every client would delete and re-add them.
 */
class MarkdownIdsTest {
    @TempDir
    Path dir;

    static final String GUIDE = """
            Some words before the first heading, as a README often has.

            # Getting Started

            Welcome to the tool.

            ## Install

            Download the archive.

            ```bash
            # a comment, not a heading
            tar xf tool.tgz
            ```

            ### On Linux

            Run the installer.

            ### On macOS

            Use the package.

            ## Install

            A second section with the same heading.

            ## Configure: the *config* file (v2)

            %s

            ~~~
            ## not a heading inside a tilde fence
            ~~~

            # Reference

            ## Options

            ### --verbose

            Prints more.

            #### Deep ####

            Closing hashes are not part of the heading.

            ## Options

            Repeated again.

            ## Empty

            ## Empty

            Only the second has a body.
            """.formatted(longSection());

    static String longSection() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 16; i++) {
            sb.append("Paragraph ").append(i).append(" of the configuration section, which is long enough ")
                    .append("that two parts are needed at the default limit.\n\n");
        }
        return sb.toString().strip();
    }

    @Test
    void markdownIdsStayThoseOfEarlierReleases() throws IOException {
        Files.createDirectories(dir.resolve("docs"));
        Files.writeString(dir.resolve("docs/guide.md"), GUIDE);
        Files.writeString(dir.resolve("docs/plain.md"), "No headings at all.\n\n" + longSection() + "\n\nThe end.\n");
        List<String> ids = Corpus.fromDirectory(dir, Corpus.DEFAULT_MAX_CHUNK_CHARS).records().stream()
                .map(SourceRecord::id).toList();
        // The first "## Options" has no body of its own, so the second takes the plain anchor; the first
        // "## Empty" likewise. Quirks, but ids that clients hold.
        assertEquals(List.of(
                "docs/guide.md#_intro",
                "docs/guide.md#getting-started",
                "docs/guide.md#getting-started/configure-the-config-file-v2",
                "docs/guide.md#getting-started/configure-the-config-file-v2~2",
                "docs/guide.md#getting-started/install",
                "docs/guide.md#getting-started/install-2",
                "docs/guide.md#getting-started/install/on-linux",
                "docs/guide.md#getting-started/install/on-macos",
                "docs/guide.md#reference/empty",
                "docs/guide.md#reference/options",
                "docs/guide.md#reference/options/verbose",
                "docs/guide.md#reference/options/verbose/deep",
                "docs/plain.md#_intro",
                "docs/plain.md#_intro~2"), ids);
    }

    @Test
    void aSectionUnderABareHeadingSplitsWhereItDidBefore() throws IOException {
        // Under a bare "#", the earlier releases' trail was "Long", not " > Long": the split width, hence
        // the parts, depend on it. Two paragraphs of 1,494 characters together: one part, as before.
        String body = "a".repeat(1000) + "\n\n" + "b".repeat(492);
        Files.writeString(dir.resolve("bare.md"), "# \n\n## Long\n\n" + body + "\n");
        List<String> ids = Corpus.fromDirectory(dir, Corpus.DEFAULT_MAX_CHUNK_CHARS).records().stream()
                .map(SourceRecord::id).toList();
        assertEquals(List.of("bare.md#_/long"), ids);
    }
}
