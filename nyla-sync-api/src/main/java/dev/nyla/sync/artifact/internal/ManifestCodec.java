package dev.nyla.sync.artifact.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import dev.nyla.sync.ArtifactException;
import dev.nyla.sync.ContentHash;
import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.MalformedArtifactException;
import dev.nyla.sync.RecordKeys;
import dev.nyla.sync.Similarity;
import dev.nyla.sync.UnsafeFileNameException;
import dev.nyla.sync.UnsupportedFormatException;
import dev.nyla.sync.VectorEncoding;
import dev.nyla.sync.artifact.Delta;
import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.artifact.Rollout;
import dev.nyla.sync.internal.FileNames;
import dev.nyla.sync.store.Compression;
import dev.nyla.sync.store.Payload;
import dev.nyla.sync.store.PayloadFile;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads and writes {@code manifest.json}.
 *
 * <p>Writing is canonical: fixed field order, sorted attribute maps, compact JSON (no whitespace between
 * tokens) and one final {@code \n}, so the same manifest always has the same bytes (the signature covers the
 * bytes, and publishing is reproducible). Compact because every delta of the publisher's window costs the
 * manifest an entry, which indentation made half as large again; readers never depended on whitespace. Reading is
 * strict: duplicate keys are refused (two parsers could pick different values, a known way around
 * signatures), every required field must be present with the right type, and every error names the field,
 * what was expected and what was found. Unknown fields are ignored so that a format can grow by adding
 * optional fields; what a client must understand to install a version (float16 vectors) raises the format
 * version instead, since earlier clients would ignore a field.
 */
public final class ManifestCodec {
    private static final JsonFactory JSON = StrictJson.factory();

    private ManifestCodec() {
    }

    /** The canonical bytes of {@code manifest}. */
    public static byte[] write(Manifest manifest) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(4096);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeNumberField("formatVersion", manifest.formatVersion());
            g.writeStringField("channel", manifest.channel());
            g.writeNumberField("version", manifest.version());
            g.writeStringField("label", manifest.label());
            g.writeStringField("createdAt", manifest.createdAt().toString());
            g.writeStringField("expiresAt", manifest.expiresAt().toString());
            EmbeddingModel m = manifest.model();
            g.writeObjectFieldStart("model");
            g.writeStringField("id", m.id());
            g.writeNumberField("dimension", m.dimension());
            g.writeStringField("similarity", m.similarity().wireName());
            g.writeBooleanField("normalized", m.normalized());
            g.writeStringField("fingerprint", m.fingerprint());
            g.writeEndObject();
            // Format 1 has no such field (its vectors are float32), so float32 manifests keep their bytes.
            if (manifest.formatVersion() >= 2) {
                g.writeStringField("vectorEncoding", manifest.vectorEncoding().wireName());
            }
            g.writeFieldName("payload");
            writePayload(g, manifest.payload());
            // Only when there are some: manifests without native payloads keep the bytes they always had.
            if (!manifest.nativePayloads().isEmpty()) {
                g.writeArrayFieldStart("nativePayloads");
                for (Payload p : manifest.nativePayloads()) {
                    writePayload(g, p);
                }
                g.writeEndArray();
            }
            g.writeObjectFieldStart("counts");
            g.writeNumberField("records", manifest.records());
            g.writeNumberField("tenants", manifest.tenants());
            g.writeEndObject();
            g.writeArrayFieldStart("deltas");
            for (Delta d : manifest.deltas()) {
                g.writeStartObject();
                g.writeNumberField("fromVersion", d.fromVersion());
                g.writeNumberField("upserts", d.upserts());
                g.writeNumberField("deletes", d.deletes());
                writeFiles(g, d.files());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeObjectFieldStart("rollout");
            g.writeNumberField("percent", manifest.rollout().percent());
            g.writeStringField("salt", manifest.rollout().salt());
            g.writeEndObject();
            g.writeEndObject();
            // One final line end, as a text file has: cat and diff show it whole; readers skip it as whitespace.
            g.writeRaw('\n');
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory cannot fail", e);
        }
        return out.toByteArray();
    }

    private static void writePayload(JsonGenerator g, Payload payload) throws IOException {
        g.writeStartObject();
        g.writeStringField("kind", payload.kind());
        g.writeObjectFieldStart("attributes");
        Map<String, String> attributes = new TreeMap<>(RecordKeys.ORDER);
        attributes.putAll(payload.attributes());
        for (Map.Entry<String, String> e : attributes.entrySet()) {
            g.writeStringField(e.getKey(), e.getValue());
        }
        g.writeEndObject();
        writeFiles(g, payload.files());
        g.writeEndObject();
    }

    private static void writeFiles(JsonGenerator g, List<PayloadFile> files) throws IOException {
        g.writeArrayFieldStart("files");
        for (PayloadFile f : files) {
            g.writeStartObject();
            g.writeStringField("name", f.name());
            g.writeNumberField("size", f.size());
            g.writeStringField("sha256", f.sha256());
            g.writeStringField("compression", f.compression().wireName());
            g.writeNumberField("uncompressedSize", f.uncompressedSize());
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    /**
     * Parses manifest bytes.
     *
     * @param source what the bytes are, for messages (e.g. {@code https://cdn/app/manifest.json})
     * @throws MalformedArtifactException   when the bytes are not a well-formed manifest
     * @throws UnsupportedFormatException   when the format version or a compression is unknown to this client
     * @throws UnsafeFileNameException      when a file name could escape its directory
     */
    public static Manifest read(byte[] bytes, String source) throws ArtifactException {
        JsonNode root = StrictJson.read(bytes, source);
        JsonFields f = new JsonFields(source, "", root);
        f.requireObject();
        // The format version is checked first: a later format may look different in every other way.
        long format = f.integer("formatVersion");
        if (format < 1 || format > Manifest.NEWEST_FORMAT_VERSION) {
            throw new UnsupportedFormatException(source, "formatVersion", "1.." + Manifest.NEWEST_FORMAT_VERSION
                    + " (this client is too old for a newer format)", format);
        }
        VectorEncoding vectorEncoding = vectorEncoding(f, format);
        JsonFields model = f.object("model");
        JsonFields payload = f.object("payload");
        JsonFields counts = f.object("counts");
        JsonFields rollout = f.object("rollout");
        try {
            List<Delta> deltas = new ArrayList<>();
            for (JsonFields d : f.array("deltas")) {
                deltas.add(new Delta(d.integer("fromVersion"), d.integer("upserts"), d.integer("deletes"), files(d)));
            }
            EmbeddingModel embeddingModel = new EmbeddingModel(model.text("id"), (int) model.intIn("dimension", 1, 65_536),
                    similarity(model), model.bool("normalized"), model.text("fingerprint"));
            List<Payload> nativePayloads = new ArrayList<>();
            for (JsonFields n : f.optionalArray("nativePayloads")) {
                nativePayloads.add(payload(n));
            }
            return new Manifest((int) format, f.text("channel"), f.integer("version"), f.text("label"),
                    f.instant("createdAt"), f.instant("expiresAt"), embeddingModel, vectorEncoding, payload(payload),
                    nativePayloads,
                    counts.integer("records"),
                    counts.integer("tenants"), deltas, new Rollout((int) rollout.intIn("percent", 0, 100),
                            rollout.text("salt")));
        } catch (IllegalArgumentException e) {
            // Cross-field rules enforced by the records themselves.
            throw new MalformedArtifactException(source + ": " + e.getMessage(), e);
        }
    }

    private static Payload payload(JsonFields p) throws ArtifactException {
        return new Payload(p.text("kind"), p.stringMap("attributes"), files(p));
    }

    private static List<PayloadFile> files(JsonFields parent) throws ArtifactException {
        List<PayloadFile> out = new ArrayList<>();
        List<JsonFields> files = parent.array("files");
        if (files.isEmpty()) {
            throw new MalformedArtifactException(parent.source, "field " + parent.path("files"), "at least one file",
                    "an empty array");
        }
        for (JsonFields file : files) {
            String name = FileNames.requireSafe(file.text("name"), file.source + ": " + file.path("name"));
            String compressionName = file.text("compression");
            Compression compression = compression(compressionName);
            if (compression == null) {
                throw new UnsupportedFormatException(file.source, "field " + file.path("compression"),
                        "one of none, gzip", "'" + compressionName + "'");
            }
            String sha = file.text("sha256");
            if (!ContentHash.isWellFormed(sha)) {
                throw new MalformedArtifactException(file.source, "field " + file.path("sha256"),
                        "64 lowercase hex digits", "'" + sha + "'");
            }
            long size = file.intIn("size", 0, PayloadFile.MAX_SIZE);
            long uncompressed = file.intIn("uncompressedSize", 0, PayloadFile.MAX_SIZE);
            if (compression == Compression.NONE && size != uncompressed) {
                throw new MalformedArtifactException(file.source, "field " + file.path("uncompressedSize")
                        + " of an uncompressed file", size, uncompressed);
            }
            out.add(new PayloadFile(name, size, sha, compression, uncompressed));
        }
        return out;
    }

    private static Similarity similarity(JsonFields model) throws ArtifactException {
        String s = model.text("similarity");
        try {
            return Similarity.fromWireName(s);
        } catch (IllegalArgumentException e) {
            throw new UnsupportedFormatException(model.source, "field " + model.path("similarity"),
                    "one of cosine, dot_product, euclidean", "'" + s + "'");
        }
    }

    /**
     * Absent means float32 in format 1; format 2 requires the field. A format 1 manifest that names
     * another encoding is refused by the {@link Manifest} itself: earlier clients would ignore the field.
     */
    private static VectorEncoding vectorEncoding(JsonFields f, long format) throws ArtifactException {
        if (format < 2 && !f.node.has("vectorEncoding")) {
            return VectorEncoding.F32;
        }
        String s = f.text("vectorEncoding");
        try {
            return VectorEncoding.fromWireName(s);
        } catch (IllegalArgumentException e) {
            throw new UnsupportedFormatException(f.source, "field " + f.path("vectorEncoding"),
                    "one of f32, f16 (this client is too old for another encoding)", "'" + s + "'");
        }
    }

    /** The compression with {@code wireName}, if this client knows it. */
    private static Compression compression(String wireName) {
        for (Compression c : Compression.values()) {
            if (c.wireName().equals(wireName)) {
                return c;
            }
        }
        return null;
    }
}
