package dev.nyla.sync.corpus;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nyla.sync.RecordKeys;
import dev.nyla.sync.SourceRecord;
import dev.nyla.sync.VectorRecord;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The source records a publication is built from, sorted by key and free of duplicates.
 *
 * <p>Read from a JSONL file (one {@code {"id", "tenant"?, "text", "metadata"?}} object a line), from a
 * directory of documents (Markdown, text, reStructuredText, HTML, AsciiDoc; chunked by heading, see
 * {@link #fromDocuments}), or built from records in code. A corpus read from a directory also says which
 * documents it read and which files it did not ({@link #documents()}, {@link #unreadFiles()}).
 */
public final class Corpus {
    /** Largest default chunk, in characters, when splitting documents. */
    public static final int DEFAULT_MAX_CHUNK_CHARS = 1500;
    /**
     * The file extensions a directory corpus reads, in any case: {@code .md .markdown} (Markdown), {@code .txt}
     * (plain text), {@code .rst} (reStructuredText), {@code .html .htm} (HTML, which needs jsoup on the class
     * path) and {@code .adoc .asciidoc} (AsciiDoc).
     */
    public static final List<String> DOCUMENT_EXTENSIONS = DocumentFormat.EXTENSIONS;
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final List<SourceRecord> records;
    private final List<String> documents;
    private final List<String> unreadFiles;

    private Corpus(List<SourceRecord> sorted, List<String> documents, List<String> unreadFiles) {
        this.records = List.copyOf(sorted);
        this.documents = List.copyOf(documents);
        this.unreadFiles = List.copyOf(unreadFiles);
    }

    /**
     * A corpus of {@code records}.
     *
     * @throws CorpusException when two records have the same (tenant, id)
     */
    public static Corpus of(List<SourceRecord> records) throws CorpusException {
        List<SourceRecord> sorted = new ArrayList<>(records);
        sorted.sort(KEY_ORDER);
        for (int i = 1; i < sorted.size(); i++) {
            SourceRecord a = sorted.get(i - 1);
            SourceRecord b = sorted.get(i);
            if (KEY_ORDER.compare(a, b) == 0) {
                throw new CorpusException("corpus: duplicate key " + b.tenant() + "/" + b.id());
            }
        }
        return new Corpus(sorted, List.of(), List.of());
    }

    /** Reads {@code path}: a directory of documents, or a JSONL file. */
    public static Corpus read(Path path) throws IOException {
        return Files.isDirectory(path) ? fromDirectory(path, DEFAULT_MAX_CHUNK_CHARS) : fromJsonl(path);
    }

    /**
     * Reads a JSONL file: one JSON object a line with {@code id} (string or integer), {@code text}
     * (non-empty string), optional {@code tenant} (string) and optional {@code metadata} (an object whose
     * string values are kept as they are and other values as their JSON text). Blank lines are skipped.
     *
     * @throws CorpusException naming the file and line of the first bad line, or of a duplicate key
     */
    public static Corpus fromJsonl(Path file) throws IOException {
        List<SourceRecord> out = new ArrayList<>();
        Map<String, Integer> firstLine = new HashMap<>();
        var decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT);
        try (BufferedReader reader = new BufferedReader(new java.io.InputStreamReader(Files.newInputStream(file), decoder))) {
            String line;
            int lineNo = 0;
            while ((line = reader.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                String where = file + " line " + lineNo;
                SourceRecord r = parseLine(line, where);
                Integer earlier = firstLine.putIfAbsent(r.tenant() + "\u0000" + r.id(), lineNo);
                if (earlier != null) {
                    throw new CorpusException(where, "id " + r.tenant() + "/" + r.id(), "unique",
                            "a duplicate of line " + earlier);
                }
                out.add(r);
            }
        } catch (CharacterCodingException e) {
            throw new CorpusException(file + ": not valid UTF-8", e);
        }
        return of(out);
    }

    /**
     * Reads every file under {@code directory} with one of the {@link #DOCUMENT_EXTENSIONS}, chunked as
     * {@link #fromDocuments} does. Hidden files and directories (names starting with {@code .}) are skipped;
     * links are not followed. Other files, and links, are not read and are listed by {@link #unreadFiles()}.
     */
    public static Corpus fromDirectory(Path directory, int maxChunkChars) throws IOException {
        // The directory itself may be a link (the links below it are not followed): walk what it points to.
        Path root = directory.toRealPath();
        List<Path> files = new ArrayList<>();
        List<String> unread = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                if (isHidden(root.relativize(p))) {
                    continue;
                }
                // Links are not followed: a link in a published docs tree must not pull in files from elsewhere.
                boolean link = Files.isSymbolicLink(p);
                if (!link && Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                        && DocumentFormat.of(p.getFileName().toString()).isPresent()) {
                    files.add(p);
                } else if (link || Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    unread.add(relative(root, p));
                }
            }
        }
        unread.sort(RecordKeys.ORDER);
        Corpus read = fromDocuments(root, files, maxChunkChars);
        return new Corpus(read.records, read.documents, unread);
    }

    /**
     * Chunks the given documents, each by the format its extension names ({@link #DOCUMENT_EXTENSIONS}).
     * Markdown (ATX headings outside code fences), reStructuredText (underlined and overlined titles),
     * HTML ({@code h1}–{@code h6}, without scripts, styles and navigation) and AsciiDoc ({@code =} titles
     * outside delimited blocks) are split at headings, each section becoming a chunk whose id is
     * {@code <path>#<heading-slugs>} ({@code <path>#_intro} before the first heading); a section longer than
     * {@code maxChunkChars} is split at paragraph breaks into parts {@code #slug}, {@code #slug~2}, … Text
     * files are split into paragraph groups {@code <path>#p1}, … Paths are relative to {@code base} with
     * {@code /} separators.
     *
     * <p>A chunk's text starts with its context, "document title > heading path" (the title alone before the
     * first heading; not repeated when the path starts with it), then a blank line and the section's text; the
     * title is the document's own (first level-1 heading, {@code <title>}, {@code = Title}, first reStructuredText
     * title) or else made from the file name. Metadata: {@code source} (the path) and {@code title} (the context).
     *
     * @throws CorpusException naming a file that is not UTF-8, whose extension is not a document's, or that is
     *     HTML while jsoup is not on the class path
     */
    public static Corpus fromDocuments(Path base, List<Path> files, int maxChunkChars) throws IOException {
        if (maxChunkChars < 100) {
            throw new IllegalArgumentException("maxChunkChars: expected >= 100 but was " + maxChunkChars);
        }
        List<SourceRecord> out = new ArrayList<>();
        List<String> documents = new ArrayList<>();
        List<Path> sorted = new ArrayList<>(files);
        sorted.sort(Comparator.comparing(p -> relative(base, p), RecordKeys.ORDER));
        for (Path file : sorted) {
            String rel = relative(base, file);
            DocumentFormat format = DocumentFormat.of(file.getFileName().toString()).orElseThrow(() -> new CorpusException(
                    file.toString(), "extension", "one of " + String.join(" ", DOCUMENT_EXTENSIONS), extension(file)));
            String text;
            try {
                text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file))).toString();
            } catch (CharacterCodingException e) {
                throw new CorpusException(file + ": not valid UTF-8", e);
            }
            if (text.startsWith("\uFEFF")) {
                text = text.substring(1); // a byte order mark would hide a heading on the first line
            }
            for (DocumentChunker.Chunk c : format.chunk(file, rel, text, maxChunkChars)) {
                Map<String, String> metadata = new HashMap<>();
                metadata.put("source", rel);
                metadata.put("title", c.title());
                out.add(new SourceRecord(VectorRecord.DEFAULT_TENANT, rel + "#" + c.anchor(), c.text(), metadata));
            }
            documents.add(rel);
        }
        return new Corpus(of(out).records, documents, List.of());
    }

    /** The records, sorted by (tenant, id) in {@link RecordKeys} order. */
    public List<SourceRecord> records() {
        return records;
    }

    /** How many records. */
    public int size() {
        return records.size();
    }

    /**
     * The documents read, as paths relative to the directory with {@code /} separators, sorted; empty for a
     * corpus not read from documents. A document may give no records (an empty file).
     */
    public List<String> documents() {
        return documents;
    }

    /**
     * The files under the directory that were not read, as relative paths, sorted: files whose extension is
     * not one of the {@link #DOCUMENT_EXTENSIONS}, and links. Hidden files are not listed. Empty for a corpus
     * not read from a directory.
     */
    public List<String> unreadFiles() {
        return unreadFiles;
    }

    static final Comparator<SourceRecord> KEY_ORDER = (a, b) -> RecordKeys.compare(a.tenant(), a.id(), b.tenant(), b.id());

    private static SourceRecord parseLine(String line, String where) throws CorpusException {
        JsonNode node;
        try {
            node = MAPPER.readTree(line);
        } catch (JsonProcessingException e) {
            throw new CorpusException(where + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (node == null || !node.isObject()) {
            throw new CorpusException(where, "line", "a JSON object", node == null ? "nothing" : node.getNodeType());
        }
        JsonNode id = node.get("id");
        if (id == null || !(id.isTextual() || id.isIntegralNumber())) {
            throw new CorpusException(where, "field id", "a string or integer", id == null ? "missing" : id.toString());
        }
        JsonNode text = node.get("text");
        if (text == null || !text.isTextual() || text.textValue().isBlank()) {
            throw new CorpusException(where, "field text", "a non-empty string", text == null ? "missing" : text.toString());
        }
        String tenant = VectorRecord.DEFAULT_TENANT;
        JsonNode t = node.get("tenant");
        if (t != null && !t.isNull()) {
            if (!t.isTextual()) {
                throw new CorpusException(where, "field tenant", "a string", t.toString());
            }
            tenant = t.textValue();
        }
        Map<String, String> metadata = metadata(node.get("metadata"), where);
        try {
            return new SourceRecord(tenant, id.asText(), text.textValue(), metadata);
        } catch (IllegalArgumentException e) {
            throw new CorpusException(where + ": " + e.getMessage(), e);
        }
    }

    /** Metadata from a JSON object: strings as they are, other values as their JSON text. */
    static Map<String, String> metadata(JsonNode node, String where) throws CorpusException {
        if (node == null || node.isNull()) {
            return Map.of();
        }
        if (!node.isObject()) {
            throw new CorpusException(where, "field metadata", "a JSON object", node.toString());
        }
        Map<String, String> out = new HashMap<>();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            JsonNode v = e.getValue();
            if (!v.isNull()) {
                out.put(e.getKey(), v.isTextual() ? v.textValue() : v.toString());
            }
        }
        return out;
    }

    private static boolean isHidden(Path relative) {
        for (Path part : relative) {
            if (part.toString().startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    private static String extension(Path file) {
        String n = file.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot <= 0 ? "none" : n.substring(dot);
    }

    private static String relative(Path base, Path file) {
        Path rel = base.toAbsolutePath().normalize().relativize(file.toAbsolutePath().normalize());
        return rel.toString().replace('\\', '/');
    }
}
