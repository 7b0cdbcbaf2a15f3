package dev.nyla.sync.corpus;

import dev.nyla.sync.corpus.DocumentChunker.Outline;
import dev.nyla.sync.corpus.DocumentChunker.Section;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.nodes.Node;
import org.jsoup.nodes.TextNode;
import org.jsoup.select.NodeFilter;
import org.jsoup.select.NodeTraversor;

/**
 * HTML's outline, parsed by jsoup as a browser would: {@code h1}–{@code h6} start sections; the title is
 * {@code <title>}, else the first {@code h1}. Only the page's content is read: {@code <main>} (or
 * {@code role="main"}) when there is one, else {@code <body>}; inside it, scripts, styles, navigation,
 * forms, hidden elements and heading permalinks ({@code a.headerlink}, "¶") are dropped, and so are the
 * page's own {@code <header>} and {@code <footer>} (those outside any {@code article}, {@code section} or
 * {@code main}: the site's banner and footer, the same on every page), while an article's header, which
 * often holds its {@code h1}, is kept. {@code <aside>} is kept: documentation generators use it for notes
 * and footnotes.
 *
 * <p>The only class that touches jsoup, so that jsoup, an optional dependency, is loaded only for HTML.
 */
final class HtmlOutline {
    private static final Pattern WHITESPACE = Pattern.compile("\\s+");
    private static final String CHROME = "script, style, noscript, template, nav, form, iframe, svg, canvas, button, "
            + "select, [role=navigation], [role=search], [hidden], [aria-hidden=true], a.headerlink";
    private static final Set<String> BLOCKS = Set.of("address", "article", "aside", "blockquote", "body", "dd",
            "details", "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "header", "hgroup",
            "hr", "main", "ol", "p", "pre", "section", "summary", "table", "ul");

    private HtmlOutline() {
    }

    static Outline read(String html) {
        Document doc = Jsoup.parse(html);
        Element root = doc.selectFirst("main, [role=main]");
        if (root == null) {
            root = doc.body();
        }
        root.select(CHROME).remove();
        for (Element e : root.select("header, footer, [role=banner], [role=contentinfo]")) {
            if (e.parents().stream().noneMatch(p -> p.nameIs("article") || p.nameIs("section") || p.nameIs("main"))) {
                e.remove();
            }
        }
        String title = doc.title().strip();
        if (title.isEmpty()) {
            Element h1 = root.selectFirst("h1");
            title = h1 == null ? "" : h1.text().strip();
        }
        Sections sections = new Sections();
        NodeTraversor.filter(sections, root);
        return new Outline(title, sections.finish());
    }

    /** Walks the content in document order, cutting it into sections at headings. */
    private static final class Sections implements NodeFilter {
        private final List<Section> sections = new ArrayList<>();
        private final StringBuilder body = new StringBuilder();
        private int level;
        private String heading = "";
        private int inPre;

        @Override
        public FilterResult head(Node node, int depth) {
            if (node instanceof TextNode t) {
                if (inPre > 0) {
                    body.append(t.getWholeText());
                } else {
                    String words = WHITESPACE.matcher(t.getWholeText()).replaceAll(" ");
                    if (atLineStart()) {
                        words = words.stripLeading();
                    }
                    body.append(words);
                }
                return FilterResult.CONTINUE;
            }
            if (!(node instanceof Element e)) {
                return FilterResult.CONTINUE;
            }
            String name = e.normalName();
            if (name.length() == 2 && name.charAt(0) == 'h' && name.charAt(1) >= '1' && name.charAt(1) <= '6') {
                sections.add(new Section(level, heading, body.toString()));
                body.setLength(0);
                level = name.charAt(1) - '0';
                heading = e.text().strip();
                return FilterResult.SKIP_ENTIRELY;
            }
            switch (name) {
                case "br" -> body.append('\n');
                case "pre" -> {
                    paragraph();
                    inPre++;
                }
                case "li" -> {
                    newline();
                    body.append("- ");
                }
                case "tr" -> newline();
                case "td", "th" -> body.append(atLineStart() ? "" : " | ");
                default -> {
                    if (BLOCKS.contains(name)) {
                        paragraph();
                    }
                }
            }
            return FilterResult.CONTINUE;
        }

        @Override
        public FilterResult tail(Node node, int depth) {
            if (node instanceof Element e) {
                if (e.nameIs("pre")) {
                    inPre--;
                    paragraph();
                } else if (e.nameIs("tr") || e.nameIs("li")) {
                    newline();
                } else if (BLOCKS.contains(e.normalName())) {
                    paragraph();
                }
            }
            return FilterResult.CONTINUE;
        }

        private boolean atLineStart() {
            return body.isEmpty() || body.charAt(body.length() - 1) == '\n';
        }

        /** Ends the line being written (list items, table rows). */
        private void newline() {
            trimSpaces();
            if (!atLineStart()) {
                body.append('\n');
            }
        }

        private void trimSpaces() {
            int end = body.length();
            while (end > 0 && body.charAt(end - 1) == ' ') {
                end--;
            }
            body.setLength(end);
        }

        /** Ends the paragraph being written with a blank line, where paragraphs are split into parts. */
        private void paragraph() {
            if (inPre > 0) {
                return;
            }
            trimSpaces();
            if (body.isEmpty()) {
                return;
            }
            boolean oneNewline = body.charAt(body.length() - 1) == '\n';
            boolean twoNewlines = oneNewline && body.length() > 1 && body.charAt(body.length() - 2) == '\n';
            if (!twoNewlines) {
                body.append(oneNewline ? "\n" : "\n\n");
            }
        }

        List<Section> finish() {
            sections.add(new Section(level, heading, body.toString()));
            return sections;
        }
    }
}
