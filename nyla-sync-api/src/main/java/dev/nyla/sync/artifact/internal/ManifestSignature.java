package dev.nyla.sync.artifact.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nyla.sync.MalformedArtifactException;
import dev.nyla.sync.artifact.BadSignatureException;
import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.artifact.TrustRoot;
import dev.nyla.sync.internal.Ed25519;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * The detached Ed25519 signature of a manifest, stored as {@code manifest.json.sig}:
 * <pre>{"algorithm":"Ed25519","keyId":"…","signature":"…base64…"}</pre>
 * The signature covers the exact bytes of {@code manifest.json}. The key id lets a client that trusts
 * several keys (during a key rotation) pick the right one. Ed25519 signatures are deterministic, so the
 * same manifest and key always give the same file.
 */
public final class ManifestSignature {
    private ManifestSignature() {
    }

    /** The signature file for {@code manifestBytes}, signed with {@code keys}. */
    public static byte[] sign(byte[] manifestBytes, KeyPair keys) {
        try {
            byte[] signature = Ed25519.sign(keys.getPrivate(), manifestBytes);
            String json = "{\"algorithm\":\"Ed25519\",\"keyId\":\"" + SigningKeys.keyId(keys.getPublic())
                    + "\",\"signature\":\"" + Base64.getEncoder().encodeToString(signature) + "\"}\n";
            return json.getBytes(StandardCharsets.US_ASCII);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot sign with this key: " + e.getMessage(), e);
        }
    }

    /**
     * Checks that {@code signatureFile} is a valid signature of {@code manifestBytes} by one of
     * {@code trustedKeys}.
     *
     * @param source what the manifest is, for messages
     * @return the key that signed it
     * @throws BadSignatureException when the file is unusable, names an untrusted key, or does not verify
     */
    public static PublicKey verify(byte[] manifestBytes, byte[] signatureFile, Collection<PublicKey> trustedKeys,
                                   String source) throws BadSignatureException {
        return verify(manifestBytes, signatureFile, trustedKeys, Map.of(), "one of the trusted keys", source);
    }

    /**
     * As {@link #verify(byte[], byte[], Collection, String)} with the keys of {@code trust}: a signature by a
     * revoked key is refused as such, naming the key document that revoked it.
     */
    static PublicKey verify(byte[] manifestBytes, byte[] signatureFile, TrustRoot trust, String source)
            throws BadSignatureException {
        return verify(manifestBytes, signatureFile, trust.keys(), trust.revoked(),
                "one of the trusted keys" + (trust.version() == 0 ? "" : " of key document " + trust.version()),
                source);
    }

    private static PublicKey verify(byte[] manifestBytes, byte[] signatureFile, Collection<PublicKey> trustedKeys,
                                    Map<String, Long> revoked, String trustedKeysName, String source)
            throws BadSignatureException {
        String sigSource = source + ".sig";
        if (signatureFile.length > Manifest.MAX_SIGNATURE_BYTES) {
            throw new BadSignatureException(sigSource, "size", "at most " + Manifest.MAX_SIGNATURE_BYTES + " bytes", signatureFile.length);
        }
        JsonNode node;
        try {
            // The manifest's reader: the same encoding, duplicate-key, limit and trailing-content rules.
            node = StrictJson.read(signatureFile, sigSource);
        } catch (MalformedArtifactException e) {
            throw new BadSignatureException(e.getMessage(), e);
        }
        if (!node.isObject()) {
            throw new BadSignatureException(sigSource, "content", "a JSON object", node.getNodeType());
        }
        String algorithm = node.path("algorithm").isTextual() ? node.get("algorithm").textValue() : "";
        if (!"Ed25519".equals(algorithm)) {
            throw new BadSignatureException(sigSource, "algorithm", "Ed25519", node.path("algorithm").toString());
        }
        if (!node.path("keyId").isTextual() || !node.path("signature").isTextual()) {
            throw new BadSignatureException(sigSource, "fields keyId and signature", "strings",
                    node.path("keyId") + " and " + node.path("signature"));
        }
        String keyId = node.get("keyId").textValue();
        List<String> trustedIds = new ArrayList<>();
        PublicKey key = null;
        for (PublicKey k : trustedKeys) {
            String id = SigningKeys.keyId(k);
            trustedIds.add(id);
            if (id.equals(keyId)) {
                key = k;
            }
        }
        if (key == null && revoked.containsKey(keyId)) {
            throw new BadSignatureException(sigSource, "signing key", trustedKeysName + " " + trustedIds,
                    "key '" + keyId + "', revoked in key document " + revoked.get(keyId) + " (the publisher must sign "
                            + "with a current key)");
        }
        if (key == null) {
            throw new BadSignatureException(sigSource, "signing key", trustedKeysName + " " + trustedIds,
                    "key '" + keyId + "'");
        }
        byte[] signature;
        try {
            signature = Base64.getDecoder().decode(node.get("signature").textValue());
        } catch (IllegalArgumentException e) {
            throw new BadSignatureException(sigSource, "signature", "base64", e.getMessage());
        }
        if (signature.length != 64) {
            throw new BadSignatureException(sigSource, "signature length", "64 bytes", signature.length + " bytes");
        }
        boolean ok;
        try {
            ok = Ed25519.verifies(key, manifestBytes, signature);
        } catch (GeneralSecurityException e) {
            throw new BadSignatureException(sigSource + ": cannot verify: " + e.getMessage(), e);
        }
        if (!ok) {
            throw new BadSignatureException(source, "Ed25519 signature by key " + keyId,
                    "a signature over these manifest bytes", "a signature that does not match (manifest or signature altered)");
        }
        return key;
    }
}
