package dev.nyla.sync.corpus;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** The document formats a directory corpus reads, known by file extension. */
enum DocumentFormat {
    MARKDOWN(".md", ".markdown"),
    TEXT(".txt"),
    RESTRUCTURED_TEXT(".rst"),
    HTML(".html", ".htm"),
    ASCIIDOC(".adoc", ".asciidoc");

    /** Every extension read, in the order of the formats above. */
    static final List<String> EXTENSIONS = java.util.Arrays.stream(values()).flatMap(f -> f.extensions.stream()).toList();
    private static final String JSOUP = "org.jsoup.Jsoup";

    private final List<String> extensions;

    DocumentFormat(String... extensions) {
        this.extensions = List.of(extensions);
    }

    /** The format of a file named {@code fileName}, by its extension in any case. */
    static Optional<DocumentFormat> of(String fileName) {
        String n = fileName.toLowerCase(Locale.ROOT);
        for (DocumentFormat f : values()) {
            for (String ext : f.extensions) {
                if (n.endsWith(ext) && n.length() > ext.length()) {
                    return Optional.of(f);
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Chunks {@code text}, the content of {@code file}, whose path in the corpus is {@code path} (relative,
     * {@code /}-separated).
     */
    List<DocumentChunker.Chunk> chunk(java.nio.file.Path file, String path, String text, int maxChars) throws CorpusException {
        String fallbackTitle = DocumentChunker.titleFromPath(path);
        return switch (this) {
            case TEXT -> DocumentChunker.paragraphs(fallbackTitle, text, maxChars);
            case MARKDOWN -> DocumentChunker.sections(MarkdownOutline.read(text), fallbackTitle, maxChars);
            case RESTRUCTURED_TEXT -> DocumentChunker.sections(RstOutline.read(text), fallbackTitle, maxChars);
            case ASCIIDOC -> DocumentChunker.sections(AsciiDocOutline.read(text), fallbackTitle, maxChars);
            case HTML -> {
                requireJsoup(file);
                yield DocumentChunker.sections(HtmlOutline.read(text), fallbackTitle, maxChars);
            }
        };
    }

    /**
     * jsoup is an optional dependency of the api (users who publish no HTML do not carry it): checked before
     * {@link HtmlOutline}, the one class that uses it, is loaded.
     */
    private static void requireJsoup(java.nio.file.Path file) throws CorpusException {
        try {
            Class.forName(JSOUP, false, DocumentFormat.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new CorpusException(file + ": reading HTML needs jsoup, which is not on the class path; add the "
                    + "dependency org.jsoup:jsoup, or leave HTML files out of the corpus", e);
        }
    }
}
