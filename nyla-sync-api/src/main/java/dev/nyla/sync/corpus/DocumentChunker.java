package dev.nyla.sync.corpus;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Splits a document's outline into chunks with stable anchors: an edit inside one section changes that
 * section's chunk only, so an incremental publication re-embeds only what was edited.
 *
 * <p>Every chunk's text starts with its context, "document title > heading path", so that what is embedded
 * says where the words come from; the title is not repeated when the path starts with it.
 */
final class DocumentChunker {
    /** How page titles join a page's heading and a site's name. */
    private static final List<String> TITLE_SEPARATORS = List.of(" — ", " – ", " - ", " | ", " · ", " :: ");

    /** One chunk: its anchor (unique within the document), its context line and its text (context included). */
    record Chunk(String anchor, String title, String text) {
    }

    /**
     * A heading of {@code level} (1 = top) and the text below it up to the next heading; level 0 with an
     * empty heading for the text before the first heading.
     */
    record Section(int level, String heading, String body) {
    }

    /** A document as its format's reader sees it: its own title ("" when it names none) and its sections. */
    record Outline(String title, List<Section> sections) {
    }

    private DocumentChunker() {
    }

    /**
     * Chunks by section. Anchors are the heading path's slugs joined by {@code /} ({@code _intro} before the
     * first heading); a repeated anchor gets {@code -2}, {@code -3}, …; a long section is split at paragraph
     * breaks into {@code anchor}, {@code anchor~2}, …
     */
    static List<Chunk> sections(Outline outline, String fallbackTitle, int maxChars) {
        String docTitle = outline.title().isBlank() ? fallbackTitle : outline.title();
        List<Chunk> out = new ArrayList<>();
        Set<String> anchorsSeen = new HashSet<>();
        List<String> trail = new ArrayList<>();
        for (Section s : outline.sections()) {
            List<String> path = new ArrayList<>();
            String anchor;
            if (s.level() == 0) {
                anchor = "_intro";
            } else {
                while (trail.size() <= s.level()) {
                    trail.add(null);
                }
                trail.set(s.level(), s.heading());
                for (int i = s.level() + 1; i < trail.size(); i++) {
                    trail.set(i, null);
                }
                // A level skipped (# then ###) has no entry: it is left out of the path, not made empty.
                StringBuilder a = new StringBuilder();
                for (int i = 1; i <= s.level(); i++) {
                    if (trail.get(i) != null) {
                        path.add(trail.get(i));
                        a.append(a.isEmpty() ? "" : "/").append(slug(trail.get(i)));
                    }
                }
                anchor = a.isEmpty() ? "_" : a.toString();
            }
            emit(out, anchorsSeen, anchor, path, context(docTitle, path), s.body(), maxChars);
        }
        return out;
    }

    /** Chunks text without headings into paragraph groups {@code p1}, {@code p2}, … */
    static List<Chunk> paragraphs(String title, String text, int maxChars) {
        List<Chunk> out = new ArrayList<>();
        List<String> parts = split(text.replace("\r\n", "\n").replace('\r', '\n'), maxChars);
        for (int i = 0; i < parts.size(); i++) {
            out.add(new Chunk("p" + (i + 1), title, title + "\n\n" + parts.get(i)));
        }
        return out;
    }

    /**
     * "document title > heading path". The title is not repeated when the path starts with it, nor when the
     * title is the path's first heading (in any case) followed by a site's name, as HTML pages' titles are
     * ("Configuration — Tool docs" over "Configuration"): then the title takes that heading's place.
     */
    static String context(String docTitle, List<String> path) {
        if (path.isEmpty()) {
            return docTitle;
        }
        String first = path.get(0);
        String rest = path.size() == 1 ? "" : " > " + String.join(" > ", path.subList(1, path.size()));
        if (first.equalsIgnoreCase(docTitle)) {
            return docTitle + rest;
        }
        for (String separator : TITLE_SEPARATORS) {
            String prefix = first + separator;
            if (!first.isEmpty() && docTitle.regionMatches(true, 0, prefix, 0, prefix.length())) {
                return docTitle + rest;
            }
        }
        return docTitle + " > " + String.join(" > ", path);
    }

    /**
     * A title for a document that names none, from its path: {@code guide/create-table.md} gives "create
     * table"; an {@code index} or {@code README} file is named after its directory.
     */
    static String titleFromPath(String relativePath) {
        String[] parts = relativePath.split("/");
        String name = parts[parts.length - 1];
        int dot = name.lastIndexOf('.');
        if (dot > 0) {
            name = name.substring(0, dot);
        }
        if (parts.length > 1 && (name.equalsIgnoreCase("index") || name.equalsIgnoreCase("readme"))) {
            name = parts[parts.length - 2];
        }
        String words = name.replaceAll("[-_\\s]+", " ").strip();
        return words.isEmpty() ? name : words;
    }

    private static void emit(List<Chunk> out, Set<String> seen, String anchor, List<String> path, String context,
                             String body, int maxChars) {
        if (body.isBlank()) {
            return;
        }
        // "Setup", "Setup", "Setup 2" must give three distinct anchors: setup, setup-2, setup-2-2.
        String unique = anchor;
        for (int n = 2; !seen.add(unique); n++) {
            unique = anchor + "-" + n;
        }
        // Where a section is split depends on its body and heading path only, as it did before chunks carried
        // the document title: the ids of the parts of an unchanged section stay what clients already hold. A
        // part is therefore longer than maxChars by the document title when the context adds it.
        int headingTrail = path.isEmpty() ? 0 : headingTrail(path).length() + 2;
        List<String> parts = split(body, Math.max(50, maxChars - headingTrail));
        for (int i = 0; i < parts.size(); i++) {
            out.add(new Chunk(i == 0 ? unique : unique + "~" + (i + 1), context, context + "\n\n" + parts.get(i)));
        }
    }

    /**
     * The heading trail as chunk text carried it before the document title joined it, on which split points
     * (hence ids) depend: no separator follows a leading empty heading (a bare {@code #}).
     */
    private static String headingTrail(List<String> path) {
        StringBuilder t = new StringBuilder();
        for (String heading : path) {
            t.append(t.isEmpty() ? "" : " > ").append(heading);
        }
        return t.toString();
    }

    /** Groups paragraphs (separated by blank lines) into parts of at most {@code maxChars}; splits longer ones by line. */
    private static List<String> split(String text, int maxChars) {
        List<String> pieces = new ArrayList<>();
        for (String paragraph : text.strip().split("\\n[ \\t]*\\n")) {
            String p = paragraph.strip();
            while (p.length() > maxChars) {
                int cut = p.lastIndexOf('\n', maxChars);
                if (cut < maxChars / 2) {
                    cut = p.lastIndexOf(' ', maxChars);
                }
                if (cut < maxChars / 2) {
                    cut = Character.isLowSurrogate(p.charAt(maxChars)) ? maxChars - 1 : maxChars;
                }
                pieces.add(p.substring(0, cut).strip());
                p = p.substring(cut).strip();
            }
            if (!p.isEmpty()) {
                pieces.add(p);
            }
        }
        List<String> parts = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String piece : pieces) {
            if (!current.isEmpty() && current.length() + 2 + piece.length() > maxChars) {
                parts.add(current.toString());
                current.setLength(0);
            }
            current.append(current.isEmpty() ? "" : "\n\n").append(piece);
        }
        if (!current.isEmpty()) {
            parts.add(current.toString());
        }
        return parts;
    }

    static String slug(String heading) {
        StringBuilder sb = new StringBuilder();
        boolean dash = false;
        for (int cp : heading.toLowerCase(Locale.ROOT).codePoints().toArray()) {
            if (Character.isLetterOrDigit(cp)) {
                sb.appendCodePoint(cp);
                dash = false;
            } else if (!dash && !sb.isEmpty()) {
                sb.append('-');
                dash = true;
            }
        }
        int end = sb.length();
        while (end > 0 && sb.charAt(end - 1) == '-') {
            end--;
        }
        return end == 0 ? "_" : sb.substring(0, end);
    }
}
