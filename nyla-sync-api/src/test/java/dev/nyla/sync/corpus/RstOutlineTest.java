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

class RstOutlineTest {
    @TempDir
    Path dir;

    /** As Sphinx projects write them: an overlined title, targets, directives, literal blocks, a comment. */
    static final String INSTALL = """
            :orphan:

            .. _installing:

            ==================
            Installing the CLI
            ==================

            .. contents:: On this page
               :local:

            The CLI runs on Linux, macOS and Windows.

            Requirements
            ============

            You need Python 3.9 or newer. Check with::

                python3 --version
            Output
            ------

            that line was not indented, so the literal block ended before it.

            Linux
            -----

            Run the installer:

            .. code-block:: bash

               curl -O https://example.com/install.sh
               Not a title
               -----------

            macOS
            -----

            Use the package.

            .. This comment is for the writers.
               It is not part of the page.

            Troubleshooting
            ===============

            A message, quoted::

            > Permission denied
            >>>>>>>>>>>>>>>>>>>

            A note
            ---

            That underline is too short for a title.

            Permissions
            ~~~~~~~~~~~

            .. note::

               Run as root.
            """;

    private Map<String, String> read(String name, String text) throws IOException {
        Files.writeString(dir.resolve(name), text);
        Map<String, String> byId = new LinkedHashMap<>();
        for (SourceRecord r : Corpus.fromDirectory(dir, 1500).records()) {
            byId.put(r.id(), r.text());
        }
        return byId;
    }

    @Test
    void titlesByUnderlineAndOverlineGiveSectionsWithTheirPathAndContext() throws IOException {
        Map<String, String> chunks = read("install.rst", INSTALL);
        assertEquals(List.of(
                "install.rst#installing-the-cli",
                "install.rst#installing-the-cli/requirements",
                "install.rst#installing-the-cli/requirements/linux",
                "install.rst#installing-the-cli/requirements/macos",
                "install.rst#installing-the-cli/requirements/output",
                "install.rst#installing-the-cli/troubleshooting",
                "install.rst#installing-the-cli/troubleshooting/permissions"), List.copyOf(chunks.keySet()));
        assertEquals("Installing the CLI\n\n.. contents:: On this page\n   :local:\n\nThe CLI runs on Linux, macOS and Windows.",
                chunks.get("install.rst#installing-the-cli"), "fields, targets and blank lines before the title dropped");
        String linux = chunks.get("install.rst#installing-the-cli/requirements/linux");
        assertTrue(linux.startsWith("Installing the CLI > Requirements > Linux\n\nRun the installer:"), linux);
        assertTrue(linux.contains(".. code-block:: bash") && linux.contains("Not a title\n   -----------"),
                "a directive and its indented body are text: " + linux);
        assertFalse(chunks.get("install.rst#installing-the-cli/requirements/macos").contains("writers"), "comments dropped");
        String trouble = chunks.get("install.rst#installing-the-cli/troubleshooting");
        assertTrue(trouble.contains("> Permission denied\n>>>>>>>>>>>>>>>>>>>"), "a quoted literal block is not a title: " + trouble);
        assertTrue(trouble.contains("A note\n---\n\nThat underline is too short"), trouble);
        assertTrue(chunks.get("install.rst#installing-the-cli/requirements").endsWith("Check with::\n\npython3 --version"),
                chunks.get("install.rst#installing-the-cli/requirements"));
    }

    @Test
    void levelsFollowTheOrderInWhichAdornmentStylesFirstAppear() throws IOException {
        // '-' first, then '=': the reverse of the usual convention; docutils goes by appearance, and so do we.
        Map<String, String> chunks = read("changes.rst", """
                Changelog
                ---------

                Every release.

                1.2.0
                =====

                Fixed things.

                Details
                ```````

                The fix.

                1.1.0
                =====

                Older things.
                """);
        assertEquals(List.of("changes.rst#changelog", "changes.rst#changelog/1-1-0", "changes.rst#changelog/1-2-0",
                "changes.rst#changelog/1-2-0/details"), List.copyOf(chunks.keySet()));
        assertEquals("Changelog > 1.2.0 > Details\n\nThe fix.", chunks.get("changes.rst#changelog/1-2-0/details"));
    }

    @Test
    void aFileWithoutTitlesIsOneIntroTitledByItsName() throws IOException {
        // The shape of many CLI example pages: bold lines, literal blocks, no section titles at all.
        Files.createDirectories(dir.resolve("s3"));
        Map<String, String> chunks = read("s3/cp.rst", """
                **To copy a local file to S3**

                The following ``cp`` command copies a single file to a specified bucket and key::

                    aws s3 cp test.txt s3://mybucket/test2.txt

                Output::

                    upload: test.txt to s3://mybucket/test2.txt
                """);
        assertEquals(List.of("s3/cp.rst#_intro"), List.copyOf(chunks.keySet()));
        assertTrue(chunks.get("s3/cp.rst#_intro").startsWith("cp\n\n**To copy a local file to S3**"));
    }
}
