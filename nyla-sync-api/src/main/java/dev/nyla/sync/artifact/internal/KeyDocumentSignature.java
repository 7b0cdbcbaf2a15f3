package dev.nyla.sync.artifact.internal;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.nyla.sync.MalformedArtifactException;
import dev.nyla.sync.artifact.BadSignatureException;
import dev.nyla.sync.artifact.KeyDocument;
import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.internal.Ed25519;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The signatures of a key document, stored as {@code keys-<n>.json.sig}: several detached Ed25519
 * signatures over the exact bytes of {@code keys-<n>.json},
 * <pre>{"signatures":[{"algorithm":"Ed25519","keyId":"…","signature":"…base64…"},…]}</pre>
 * one for each key that signed (the keys of the previous document and the document's own; see
 * {@link RootRotation#next}). Read with the manifest signature's rules: the strict JSON reader, at most
 * {@link KeyDocument#MAX_BYTES} bytes, {@code algorithm} exactly {@code Ed25519}, 64-byte signatures.
 */
public final class KeyDocumentSignature {
    /** The most signature entries a file may hold. */
    static final int MAX_SIGNATURES = 2 * KeyDocument.MAX_KEYS;

    /** One signature of the file, as written: the key id picks the key, it is never trusted by itself. */
    record Entry(String keyId, byte[] signature) {
    }

    private KeyDocumentSignature() {
    }

    /**
     * The signature file for {@code documentBytes}, signed by each of {@code keys} (one entry per distinct
     * key, in the order given).
     */
    public static byte[] sign(byte[] documentBytes, Collection<KeyPair> keys) {
        Map<String, KeyPair> distinct = new LinkedHashMap<>();
        keys.forEach(k -> distinct.putIfAbsent(SigningKeys.keyId(k.getPublic()), k));
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = StrictJson.factory().createGenerator(out)) {
            g.writeStartObject();
            g.writeArrayFieldStart("signatures");
            for (Map.Entry<String, KeyPair> e : distinct.entrySet()) {
                g.writeStartObject();
                g.writeStringField("algorithm", "Ed25519");
                g.writeStringField("keyId", e.getKey());
                g.writeStringField("signature", Base64.getEncoder().encodeToString(
                        Ed25519.sign(e.getValue().getPrivate(), documentBytes)));
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
            g.writeRaw('\n');
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot sign with this key: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory cannot fail", e);
        }
        return out.toByteArray();
    }

    /**
     * The entries of a signature file, unverified.
     *
     * @param source what the file is, for messages
     * @throws BadSignatureException when the file is unusable (as for a manifest's signature file)
     */
    static List<Entry> read(byte[] file, String source) throws BadSignatureException {
        if (file.length > KeyDocument.MAX_BYTES) {
            throw new BadSignatureException(source, "size", "at most " + KeyDocument.MAX_BYTES + " bytes",
                    file.length + " bytes");
        }
        List<Entry> entries = new ArrayList<>();
        try {
            JsonFields root = new JsonFields(source, "", StrictJson.read(file, source));
            root.requireObject();
            List<JsonFields> items = root.array("signatures");
            if (items.size() > MAX_SIGNATURES) {
                throw new MalformedArtifactException(source, "field signatures", "at most " + MAX_SIGNATURES
                        + " entries", items.size());
            }
            for (JsonFields item : items) {
                String algorithm = item.text("algorithm");
                if (!"Ed25519".equals(algorithm)) {
                    throw new MalformedArtifactException(source, "field " + item.path("algorithm"), "Ed25519",
                            "'" + algorithm + "'");
                }
                String keyId = item.text("keyId");
                if (!Ed25519.isKeyId(keyId)) {
                    throw new MalformedArtifactException(source, "field " + item.path("keyId"),
                            "a key id (16 lowercase hex digits)", "'" + keyId + "'");
                }
                String encoded = item.text("signature");
                byte[] signature;
                try {
                    signature = Base64.getDecoder().decode(encoded);
                } catch (IllegalArgumentException e) {
                    throw new MalformedArtifactException(source, "field " + item.path("signature"), "base64",
                            e.getMessage());
                }
                if (signature.length != 64) {
                    throw new MalformedArtifactException(source, "field " + item.path("signature"), "64 bytes",
                            signature.length + " bytes");
                }
                entries.add(new Entry(keyId, signature));
            }
        } catch (MalformedArtifactException e) {
            throw new BadSignatureException(e.getMessage(), e);
        }
        return entries;
    }

    /**
     * Which of {@code keys} validly signed {@code documentBytes}, by the entries of {@code signatureFile}: for a
     * publisher checking that a site's key document is one its own keys signed.
     *
     * @param source what the signature file is, for messages
     * @throws BadSignatureException when the signature file is unusable
     */
    public static List<PublicKey> signedBy(byte[] documentBytes, byte[] signatureFile, Collection<PublicKey> keys,
                                           String source) throws BadSignatureException {
        Signers s = Signers.of(read(signatureFile, source), List.copyOf(keys), documentBytes);
        return keys.stream().filter(k -> s.valid().contains(SigningKeys.keyId(k))).toList();
    }

    /** Which keys of a set signed some bytes, by the entries of a signature file. */
    record Signers(List<String> valid, List<String> invalid, List<String> outside) {

        static Signers of(List<Entry> entries, List<PublicKey> keys, byte[] bytes) {
            Map<String, PublicKey> byId = new LinkedHashMap<>();
            keys.forEach(k -> byId.put(SigningKeys.keyId(k), k));
            Set<String> valid = new LinkedHashSet<>();
            Set<String> invalid = new LinkedHashSet<>();
            List<String> outside = new ArrayList<>();
            for (Entry e : entries) {
                PublicKey key = byId.get(e.keyId());
                if (key == null) {
                    outside.add(e.keyId());
                } else if (!valid.contains(e.keyId())) {
                    // Distinct keys count once, however many entries name them.
                    if (verifies(key, bytes, e.signature())) {
                        valid.add(e.keyId());
                        invalid.remove(e.keyId());
                    } else {
                        invalid.add(e.keyId());
                    }
                }
            }
            return new Signers(List.copyOf(valid), List.copyOf(invalid), outside);
        }

        private static boolean verifies(PublicKey key, byte[] bytes, byte[] signature) {
            try {
                return Ed25519.verifies(key, bytes, signature);
            } catch (GeneralSecurityException e) {
                return false;
            }
        }

        @Override
        public String toString() {
            List<String> parts = new ArrayList<>();
            parts.add(valid.size() + " valid" + (valid.isEmpty() ? "" : " " + valid));
            if (!invalid.isEmpty()) {
                parts.add("not verifying over these bytes: " + invalid);
            }
            if (!outside.isEmpty()) {
                parts.add("by keys outside the set: " + outside);
            }
            return String.join("; ", parts);
        }
    }
}
