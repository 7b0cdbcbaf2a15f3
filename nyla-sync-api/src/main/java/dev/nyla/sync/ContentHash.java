package dev.nyla.sync;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The content hash of a record: what decides whether a stored vector is still right for its source.
 *
 * <p>It covers the text, the metadata and the fingerprint of the embedding model, so a changed text, a
 * changed metadata value or a changed model all show as "changed" (a model change that went unnoticed
 * is a known failure of other sync tools). It does not cover the id: ids are stable source ids.
 *
 * <p>Definition (see docs/artifact-format.md): lowercase hex of SHA-256 over
 * {@code "nyla-content-v1"}, then the text, the number of metadata entries, each key and value in
 * code-point order of keys, and the model fingerprint; every string is written as its UTF-8 byte count
 * (unsigned 32-bit little-endian) followed by its bytes, every count as unsigned 32-bit little-endian.
 */
public final class ContentHash {
    private static final byte[] DOMAIN = "nyla-content-v1".getBytes(StandardCharsets.UTF_8);
    private static final HexFormat HEX = HexFormat.of();

    private ContentHash() {
    }

    /** The content hash of {@code text} with {@code metadata} embedded by the model with {@code modelFingerprint}. */
    public static String of(String text, Map<String, String> metadata, String modelFingerprint) {
        MessageDigest sha = sha256();
        sha.update(DOMAIN);
        update(sha, text);
        SortedMap<String, String> sorted = new TreeMap<>(RecordKeys.ORDER);
        sorted.putAll(metadata);
        updateInt(sha, sorted.size());
        for (Map.Entry<String, String> e : sorted.entrySet()) {
            update(sha, e.getKey());
            update(sha, e.getValue());
        }
        update(sha, modelFingerprint);
        return HEX.formatHex(sha.digest());
    }

    /** Whether {@code hash} has the form of a content hash: 64 lowercase hex digits. */
    public static boolean isWellFormed(String hash) {
        if (hash == null || hash.length() != 64) {
            return false;
        }
        for (int i = 0; i < 64; i++) {
            char c = hash.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }

    /** The SHA-256 of {@code bytes} as 64 lowercase hex digits. */
    public static String sha256Hex(byte[] bytes) {
        return HEX.formatHex(sha256().digest(bytes));
    }

    /** A fresh SHA-256 digest; every JDK has one. */
    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK provides SHA-256", e);
        }
    }

    private static void update(MessageDigest sha, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        updateInt(sha, b.length);
        sha.update(b);
    }

    private static void updateInt(MessageDigest sha, int v) {
        sha.update((byte) v);
        sha.update((byte) (v >>> 8));
        sha.update((byte) (v >>> 16));
        sha.update((byte) (v >>> 24));
    }
}
