package dev.nyla.sync.corpus;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nyla.sync.DimensionMismatchException;
import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.InvalidVectorException;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.MalformedArtifactException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Imports the JSON index of the original JavaScript system ({@code nyla-knowledge-index.json[.gz]}), so
 * that an existing published index can become a signed artifact without re-embedding:
 * <pre>{"version": …, "embeddingModel": "all-MiniLM-L6-v2", "chunks": [
 *    {"id": "…", "text": "…" (or "content"), "embedding": [0.1, …], "metadata": {…}}, …]}</pre>
 * The file is streamed (gzip recognised by its magic bytes, whatever the name); other top-level fields are
 * ignored. Vectors go into the import as they are, validated: every embedding must have the model's
 * dimension and finite values (JavaScript writes {@code NaN} as {@code null}, which is refused).
 */
public final class SeedIndex {
    private static final Logger LOG = LoggerFactory.getLogger(SeedIndex.class);
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private SeedIndex() {
    }

    /**
     * Reads the chunks of a seed index as records of {@code tenant}, embedded by {@code model}.
     *
     * @throws MalformedArtifactException naming the file and chunk for malformed JSON or a missing field
     * @throws DimensionMismatchException when an embedding's length is not the model's dimension
     * @throws InvalidVectorException     when an embedding holds a non-finite value
     */
    public static List<VectorRecord> read(Path file, EmbeddingModel model, String tenant) throws IOException {
        List<VectorRecord> out = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        String name = file.toString();
        try (InputStream in = open(file);
             JsonParser p = new JsonFactory().setCodec(MAPPER).createParser(in)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new MalformedArtifactException(name, "top level", "a JSON object with a 'chunks' array", p.currentToken());
            }
            boolean sawChunks = false;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if ("chunks".equals(field)) {
                    if (value != JsonToken.START_ARRAY) {
                        throw new MalformedArtifactException(name, "field chunks", "an array", value);
                    }
                    sawChunks = true;
                    int index = 0;
                    while (p.nextToken() == JsonToken.START_OBJECT) {
                        JsonNode chunk = p.readValueAsTree();
                        VectorRecord r = chunk(chunk, name + ": chunks[" + index + "]", model, tenant);
                        if (!ids.add(r.id())) {
                            throw new MalformedArtifactException(name + ": chunks[" + index + "]", "id", "unique",
                                    "a duplicate '" + r.id() + "'");
                        }
                        out.add(r);
                        index++;
                    }
                    if (p.currentToken() != JsonToken.END_ARRAY) {
                        throw new MalformedArtifactException(name, "chunks[" + index + "]", "a JSON object", p.currentToken());
                    }
                } else if (("embeddingModel".equals(field) || "model".equals(field)) && value == JsonToken.VALUE_STRING) {
                    String declared = p.getText();
                    if (!declared.equals(model.id())) {
                        LOG.warn("{} declares embedding model '{}'; importing as '{}' (fingerprint {})", name, declared,
                                model.id(), model.fingerprint());
                    }
                } else {
                    p.skipChildren();
                }
            }
            if (!sawChunks) {
                throw new MalformedArtifactException(name, "field chunks", "an array of chunks", "missing");
            }
        } catch (JsonParseException e) {
            throw new MalformedArtifactException(name + ": not valid JSON: " + e.getOriginalMessage() + " at line "
                    + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr(), e);
        } catch (java.util.zip.ZipException | java.io.EOFException e) {
            throw new MalformedArtifactException(name + ": corrupt or truncated gzip data: " + e.getMessage(), e);
        }
        return out;
    }

    private static VectorRecord chunk(JsonNode chunk, String where, EmbeddingModel model, String tenant)
            throws IOException {
        JsonNode id = chunk.get("id");
        if (id == null || !(id.isTextual() || id.isIntegralNumber()) || id.asText().isEmpty()) {
            throw new MalformedArtifactException(where, "field id", "a non-empty string or integer",
                    id == null ? "missing" : id.toString());
        }
        JsonNode text = chunk.has("text") ? chunk.get("text") : chunk.get("content");
        if (text == null || !text.isTextual()) {
            throw new MalformedArtifactException(where, "field text (or content)", "a string",
                    text == null ? "missing" : text.toString());
        }
        JsonNode embedding = chunk.get("embedding");
        if (embedding == null || !embedding.isArray()) {
            throw new MalformedArtifactException(where, "field embedding", "an array of numbers",
                    embedding == null ? "missing" : embedding.getNodeType());
        }
        String subject = where + " (id " + id.asText() + ")";
        if (embedding.size() != model.dimension()) {
            throw new DimensionMismatchException(subject, model.dimension(), embedding.size());
        }
        float[] vector = new float[embedding.size()];
        for (int i = 0; i < vector.length; i++) {
            JsonNode x = embedding.get(i);
            if (!x.isNumber()) {
                throw new MalformedArtifactException(subject, "embedding[" + i + "]", "a finite number",
                        x.isNull() ? "null (JavaScript's NaN or Infinity)" : x.toString());
            }
            vector[i] = x.floatValue();
            if (!Float.isFinite(vector[i])) {
                throw new InvalidVectorException(subject, i, vector[i]);
            }
        }
        Map<String, String> metadata;
        try {
            metadata = Corpus.metadata(chunk.get("metadata"), subject);
        } catch (CorpusException e) {
            throw new MalformedArtifactException(e.getMessage(), e);
        }
        try {
            return VectorRecord.of(tenant, id.asText(), text.textValue(), metadata, model, vector);
        } catch (IllegalArgumentException e) {
            throw new MalformedArtifactException(subject + ": " + e.getMessage(), e);
        }
    }

    private static InputStream open(Path file) throws IOException {
        BufferedInputStream in = new BufferedInputStream(Files.newInputStream(file), 64 << 10);
        in.mark(2);
        int b0 = in.read();
        int b1 = in.read();
        in.reset();
        if (b0 != 0x1f || b1 != 0x8b) {
            return in;
        }
        try {
            return new GZIPInputStream(in, 64 << 10);
        } catch (IOException e) {
            in.close();
            throw e;
        }
    }
}
