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

class HtmlOutlineTest {
    @TempDir
    Path dir;

    /** The shape of a page a documentation generator writes: site chrome around one article. */
    static final String CONFIGURATION = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
              <meta charset="utf-8">
              <title>Configuration — Tool 2.1 documentation</title>
              <script>var searchIndex = "script text";</script>
              <style>.body { color: black }</style>
            </head>
            <body>
              <header class="site"><a href="/">Tool</a> <form><input name="q"> Search docs</form></header>
              <nav class="sidebar"><ul><li><a href="install.html">Install</a></li><li>Configuration</li></ul></nav>
              <div class="document" role="main">
                <article>
                  <header><h1>Configuration<a class="headerlink" href="#configuration" title="Link">¶</a></h1></header>
                  <p>Settings live in <code>tool.toml</code>,
                     next to the binary.</p>
                  <h2 id="files">Files</h2>
                  <p>The file is read at start-up.</p>
                  <pre>[server]
            port = 8080</pre>
                  <h3>Environment</h3>
                  <ul><li>TOOL_HOME</li><li>TOOL_DEBUG<br>prints more</li></ul>
                  <h2>Limits</h2>
                  <table><tr><th>Name</th><th>Default</th></tr><tr><td>max</td><td>10</td></tr></table>
                  <aside class="admonition note"><p>Limits apply per user.</p></aside>
                </article>
              </div>
              <footer>© 2026 Tool. Built with a generator.</footer>
            </body>
            </html>
            """;

    private Map<String, String> read(String name, String html) throws IOException {
        Files.writeString(dir.resolve(name), html);
        Map<String, String> chunks = new LinkedHashMap<>();
        for (SourceRecord r : Corpus.fromDirectory(dir, 1500).records()) {
            chunks.put(r.id(), r.text());
        }
        return chunks;
    }

    @Test
    void headingsGiveSectionsAndSiteChromeIsLeftOut() throws IOException {
        Map<String, String> chunks = read("configuration.html", CONFIGURATION);
        assertEquals(Map.of(
                "configuration.html#configuration",
                "Configuration — Tool 2.1 documentation\n\nSettings live in tool.toml, next to the binary.",
                "configuration.html#configuration/files",
                "Configuration — Tool 2.1 documentation > Files\n\nThe file is read at start-up.\n\n[server]\nport = 8080",
                "configuration.html#configuration/files/environment",
                "Configuration — Tool 2.1 documentation > Files > Environment\n\n- TOOL_HOME\n- TOOL_DEBUG\nprints more",
                "configuration.html#configuration/limits",
                "Configuration — Tool 2.1 documentation > Limits\n\nName | Default\nmax | 10\n\nLimits apply per user."),
                chunks);
        String all = String.join("\n", chunks.values());
        for (String chrome : List.of("script text", "color: black", "Search docs", "install.html", "©", "¶")) {
            assertFalse(all.contains(chrome), chrome);
        }
    }

    @Test
    void withoutMainOrTitleTheBodyIsReadAndTheFirstH1IsTheTitle() throws IOException {
        Map<String, String> chunks = read("faq.htm", """
                <html><body>
                <p>Answers to common questions.</p>
                <h1>FAQ</h1>
                <h3>Why is it slow?</h3>
                <p>The first run loads the model.</p>
                <nav>Next: Install</nav>
                </body></html>
                """);
        assertEquals(Map.of(
                "faq.htm#_intro", "FAQ\n\nAnswers to common questions.",
                "faq.htm#faq/why-is-it-slow", "FAQ > Why is it slow?\n\nThe first run loads the model."), chunks);
    }

    @Test
    void withoutJsoupOtherFormatsAreReadAndAnHtmlFileIsRefusedNamingItAndTheDependency() throws Exception {
        // The api and its required dependencies only, as an application that does not add jsoup has them.
        List<java.net.URL> classPath = new java.util.ArrayList<>();
        for (Class<?> c : List.of(Corpus.class, com.fasterxml.jackson.databind.ObjectMapper.class,
                com.fasterxml.jackson.core.JsonFactory.class, com.fasterxml.jackson.annotation.JsonProperty.class,
                org.slf4j.LoggerFactory.class)) {
            classPath.add(c.getProtectionDomain().getCodeSource().getLocation());
        }
        Path markdown = Files.createDirectories(dir.resolve("md"));
        Files.writeString(markdown.resolve("a.md"), "# A\n\ntext\n");
        Path html = Files.createDirectories(dir.resolve("html"));
        Files.writeString(html.resolve("page.html"), CONFIGURATION);
        try (var withoutJsoup = new java.net.URLClassLoader(classPath.toArray(java.net.URL[]::new),
                ClassLoader.getPlatformClassLoader())) {
            assertThrows(ClassNotFoundException.class, () -> withoutJsoup.loadClass("org.jsoup.Jsoup"));
            Class<?> corpus = withoutJsoup.loadClass(Corpus.class.getName());
            var fromDirectory = corpus.getMethod("fromDirectory", Path.class, int.class);
            assertEquals(1, corpus.getMethod("size").invoke(fromDirectory.invoke(null, markdown, 1500)));
            var e = assertThrows(java.lang.reflect.InvocationTargetException.class, () -> fromDirectory.invoke(null, html, 1500));
            assertEquals(CorpusException.class.getName(), e.getCause().getClass().getName(), String.valueOf(e.getCause()));
            assertTrue(e.getCause().getMessage().startsWith(html.resolve("page.html") + ": ")
                    && e.getCause().getMessage().contains("org.jsoup:jsoup"), e.getCause().getMessage());
        }
    }
}
