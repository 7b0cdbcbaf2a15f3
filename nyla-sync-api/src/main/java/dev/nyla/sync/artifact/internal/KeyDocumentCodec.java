package dev.nyla.sync.artifact.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import dev.nyla.sync.ArtifactException;
import dev.nyla.sync.LimitExceededException;
import dev.nyla.sync.MalformedArtifactException;
import dev.nyla.sync.UnsupportedFormatException;
import dev.nyla.sync.artifact.KeyDocument;
import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.internal.Ed25519;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Reads and writes key documents ({@code keys-<n>.json}), with the manifest's rules: canonical compact JSON
 * with a fixed field order and one final {@code \n} when writing; when reading, the one strict JSON reader
 * ({@link StrictJson}), every required field present with its type, unknown fields ignored (what a client
 * must understand raises {@code formatVersion} instead), and every error naming the field, what was expected
 * and what was found.
 */
public final class KeyDocumentCodec {
    private static final JsonFactory JSON = StrictJson.factory();

    private KeyDocumentCodec() {
    }

    /** The canonical bytes of {@code document}. */
    public static byte[] write(KeyDocument document) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("type", KeyDocument.TYPE);
            g.writeNumberField("formatVersion", KeyDocument.FORMAT_VERSION);
            g.writeNumberField("version", document.version());
            g.writeNumberField("threshold", document.threshold());
            g.writeArrayFieldStart("keys");
            for (PublicKey k : document.keys()) {
                g.writeStartObject();
                g.writeStringField("keyId", SigningKeys.keyId(k));
                g.writeStringField("publicKey", Base64.getEncoder().encodeToString(k.getEncoded()));
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeArrayFieldStart("revoked");
            for (String id : document.revoked()) {
                g.writeString(id);
            }
            g.writeEndArray();
            g.writeStringField("createdAt", document.createdAt().toString());
            g.writeEndObject();
            g.writeRaw('\n');
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory cannot fail", e);
        }
        return out.toByteArray();
    }

    /**
     * Parses key document bytes. Signatures are checked by {@link RootRotation#next}, which calls this.
     *
     * @param source what the bytes are, for messages (e.g. {@code https://cdn/app/keys-2.json})
     * @throws LimitExceededException     when the bytes are over {@link KeyDocument#MAX_BYTES}
     * @throws MalformedArtifactException when the bytes are not a well-formed key document
     * @throws UnsupportedFormatException when the format version is newer than this client's
     */
    public static KeyDocument read(byte[] bytes, String source) throws ArtifactException {
        if (bytes.length > KeyDocument.MAX_BYTES) {
            throw new LimitExceededException(source, "size", "at most " + KeyDocument.MAX_BYTES + " bytes",
                    bytes.length + " bytes");
        }
        JsonNode root = StrictJson.read(bytes, source);
        JsonFields f = new JsonFields(source, "", root);
        f.requireObject();
        String type = f.text("type");
        if (!KeyDocument.TYPE.equals(type)) {
            throw new MalformedArtifactException(source, "field type", "'" + KeyDocument.TYPE + "' (a key document)",
                    "'" + type + "'");
        }
        long format = f.integer("formatVersion");
        if (format != KeyDocument.FORMAT_VERSION) {
            throw new UnsupportedFormatException(source, "formatVersion", KeyDocument.FORMAT_VERSION
                    + " (a newer format needs a newer client: update the app)", format);
        }
        long version = f.intIn("version", 1, Long.MAX_VALUE);
        long threshold = f.intIn("threshold", 1, KeyDocument.MAX_KEYS);
        List<JsonFields> keyFields = f.array("keys");
        if (keyFields.isEmpty() || keyFields.size() > KeyDocument.MAX_KEYS) {
            throw new MalformedArtifactException(source, "field keys", "1.." + KeyDocument.MAX_KEYS + " keys",
                    keyFields.size());
        }
        List<PublicKey> keys = new ArrayList<>();
        for (JsonFields k : keyFields) {
            keys.add(key(k));
        }
        List<String> revoked = f.strings("revoked");
        if (revoked.size() > KeyDocument.MAX_REVOKED) {
            throw new MalformedArtifactException(source, "field revoked", "at most " + KeyDocument.MAX_REVOKED
                    + " key ids", revoked.size());
        }
        try {
            return new KeyDocument(version, (int) threshold, keys, revoked, f.instant("createdAt"));
        } catch (IllegalArgumentException e) {
            // Cross-field rules (distinct keys, threshold within the keys, nothing both listed and revoked).
            throw new MalformedArtifactException(source + ": " + e.getMessage(), e);
        }
    }

    /** One entry of {@code keys}: the id must be the id of the key, so it can never name another one. */
    private static PublicKey key(JsonFields k) throws MalformedArtifactException {
        String id = k.text("keyId");
        String encoded = k.text("publicKey");
        PublicKey key;
        try {
            key = Ed25519.publicKey(Base64.getDecoder().decode(encoded));
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            throw new MalformedArtifactException(k.source, "field " + k.path("publicKey"),
                    "base64 of an Ed25519 public key's X.509 encoding", "'" + abbreviate(encoded) + "' (" + e.getMessage()
                            + ")");
        }
        String actual = SigningKeys.keyId(key);
        if (!actual.equals(id)) {
            throw new MalformedArtifactException(k.source, "field " + k.path("keyId"), "the id of the key beside it, "
                    + actual, "'" + abbreviate(id) + "'");
        }
        return key;
    }

    private static String abbreviate(String s) {
        return s.length() > 60 ? s.substring(0, 57) + "..." : s;
    }
}
