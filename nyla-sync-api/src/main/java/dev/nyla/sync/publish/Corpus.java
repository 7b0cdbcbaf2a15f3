package dev.nyla.sync.publish;

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
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The source records a publication is built from, sorted by key and free of duplicates.
 *
 * <p>Read from a JSONL file (one {@code {"id", "tenant"?, "text", "metadata"?}} object a line), from a
 * directory of Markdown and text files (chunked by heading and paragraph, see {@link #fromDirectory}), or
 * built from records in code.
 */
public final class Corpus {
    /** Largest default chunk, in characters, when splitting documents. */
    public static final int DEFAULT_MAX_CHUNK_CHARS = 1500;
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final List<SourceRecord> records;

    private Corpus(List<SourceRecord> sorted) {
        this.records = List.copyOf(sorted);
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
        return new Corpus(sorted);
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
     * Reads every {@code .md}, {@code .markdown} and {@code .txt} file under {@code directory} (hidden files
     * and directories skipped, links not followed), chunked as {@link #fromDocuments} does.
     */
    public static Corpus fromDirectory(Path directory, int maxChunkChars) throws IOException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(directory)) {
            // Links are not followed: a link in a published docs tree must not pull in files from elsewhere.
            files = walk.filter(p -> Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS))
                    .filter(p -> !isHidden(directory.relativize(p)))
                    .filter(Corpus::isDocument)
                    .toList();
        }
        return fromDocuments(directory, files, maxChunkChars);
    }

    /**
     * Chunks the given documents. Markdown is split at headings (outside code fences), each section
     * becoming a chunk whose id is {@code <path>#<heading-slugs>} and whose text starts with the heading
     * trail; a section longer than {@code maxChunkChars} is split at paragraph breaks into parts
     * {@code #slug}, {@code #slug~2}, … Text files are split into paragraph groups {@code <path>#p1}, … Paths
     * are relative to {@code base} with {@code /} separators. Metadata: {@code source} (the path) and, for
     * Markdown, {@code title} (the heading trail).
     */
    public static Corpus fromDocuments(Path base, List<Path> files, int maxChunkChars) throws IOException {
        if (maxChunkChars < 100) {
            throw new IllegalArgumentException("maxChunkChars: expected >= 100 but was " + maxChunkChars);
        }
        List<SourceRecord> out = new ArrayList<>();
        List<Path> sorted = new ArrayList<>(files);
        sorted.sort(Comparator.comparing(p -> relative(base, p), RecordKeys.ORDER));
        for (Path file : sorted) {
            String rel = relative(base, file);
            String text;
            try {
                text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file))).toString();
            } catch (CharacterCodingException e) {
                throw new CorpusException(file + ": not valid UTF-8", e);
            }
            String name = rel.toLowerCase(Locale.ROOT);
            List<DocumentChunker.Chunk> chunks = name.endsWith(".txt")
                    ? DocumentChunker.paragraphs(text, maxChunkChars)
                    : DocumentChunker.markdown(text, maxChunkChars);
            for (DocumentChunker.Chunk c : chunks) {
                Map<String, String> metadata = new HashMap<>();
                metadata.put("source", rel);
                if (!c.title().isEmpty()) {
                    metadata.put("title", c.title());
                }
                out.add(new SourceRecord(VectorRecord.DEFAULT_TENANT, rel + "#" + c.anchor(), c.text(), metadata));
            }
        }
        return of(out);
    }

    /** The records, sorted by (tenant, id) in {@link RecordKeys} order. */
    public List<SourceRecord> records() {
        return records;
    }

    /** How many records. */
    public int size() {
        return records.size();
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

    private static boolean isDocument(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".md") || n.endsWith(".markdown") || n.endsWith(".txt");
    }

    private static String relative(Path base, Path file) {
        Path rel = base.toAbsolutePath().normalize().relativize(file.toAbsolutePath().normalize());
        return rel.toString().replace('\\', '/');
    }
}
