package dev.nyla.sync.jdbc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nyla.sync.RecordKeys;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.TreeMap;

/** Encodings of vectors and string maps in columns. */
final class Codec {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<TreeMap<String, String>> STRING_MAP = new TypeReference<>() {
    };

    private Codec() {
    }

    /** Little-endian float32, the artifact format's encoding (bytea and SQLite blobs). */
    static byte[] floatsLittleEndian(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return b.array();
    }

    static float[] fromLittleEndian(byte[] bytes, String subject) {
        if (bytes.length % Float.BYTES != 0) {
            throw new IllegalStateException(subject + ": vector bytes: expected a multiple of 4 but was " + bytes.length);
        }
        float[] v = new float[bytes.length / Float.BYTES];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        return v;
    }

    /** pgvector's text form, {@code [1.5,-2.0E-5,...]}; Java's shortest float strings parse back exactly. */
    static String pgvectorText(float[] v) {
        StringBuilder sb = new StringBuilder(v.length * 12 + 2).append('[');
        for (int i = 0; i < v.length; i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append(v[i]);
        }
        return sb.append(']').toString();
    }

    /** pgvector's binary form (its {@code vector_send}): int16 dimension, int16 unused, big-endian float32s. */
    static int pgvectorBinary(float[] v, ByteBuffer out) {
        out.order(ByteOrder.BIG_ENDIAN).putShort((short) v.length).putShort((short) 0);
        for (float f : v) {
            out.putFloat(f);
        }
        return 4 + 4 * v.length;
    }

    static String json(Map<String, String> map) {
        try {
            return JSON.writeValueAsString(map);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a string map as JSON", e);
        }
    }

    /** A JSON object of strings, sorted by {@link RecordKeys#ORDER}. */
    static Map<String, String> stringMap(String json, String subject) {
        try {
            TreeMap<String, String> parsed = JSON.readValue(json, STRING_MAP);
            TreeMap<String, String> sorted = new TreeMap<>(RecordKeys.ORDER);
            sorted.putAll(parsed);
            return sorted;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(subject + ": expected a JSON object of strings but was '"
                    + (json.length() > 60 ? json.substring(0, 60) + "…" : json) + "'", e);
        }
    }
}
