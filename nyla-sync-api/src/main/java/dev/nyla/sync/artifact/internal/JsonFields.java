package dev.nyla.sync.artifact.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nyla.sync.MalformedArtifactException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A JSON object of a verified file being read field by field, with its path for messages: every getter
 * refuses a missing or wrong-typed field with a {@link MalformedArtifactException} naming the field, what was
 * expected and what was found. Shared by the readers of the manifest and of key documents.
 */
final class JsonFields {
    final String source;
    final String prefix;
    final JsonNode node;

    JsonFields(String source, String prefix, JsonNode node) {
        this.source = source;
        this.prefix = prefix;
        this.node = node;
    }

    String path(String field) {
        return prefix + field;
    }

    void requireObject() throws MalformedArtifactException {
        if (node == null || !node.isObject()) {
            throw new MalformedArtifactException(source, prefix.isEmpty() ? "top level" : prefix, "a JSON object",
                    describe(node));
        }
    }

    JsonNode field(String name, String expected) throws MalformedArtifactException {
        JsonNode v = node.get(name);
        if (v == null || v.isNull()) {
            throw new MalformedArtifactException(source, "field " + path(name), expected, "missing");
        }
        return v;
    }

    String text(String name) throws MalformedArtifactException {
        JsonNode v = field(name, "a string");
        if (!v.isTextual()) {
            throw new MalformedArtifactException(source, "field " + path(name), "a string", describe(v));
        }
        return v.textValue();
    }

    long integer(String name) throws MalformedArtifactException {
        JsonNode v = field(name, "an integer");
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw new MalformedArtifactException(source, "field " + path(name), "an integer", describe(v));
        }
        return v.longValue();
    }

    long intIn(String name, long min, long max) throws MalformedArtifactException {
        long v = integer(name);
        if (v < min || v > max) {
            throw new MalformedArtifactException(source, "field " + path(name),
                    "an integer in " + min + ".." + max, v);
        }
        return v;
    }

    boolean bool(String name) throws MalformedArtifactException {
        JsonNode v = field(name, "true or false");
        if (!v.isBoolean()) {
            throw new MalformedArtifactException(source, "field " + path(name), "true or false", describe(v));
        }
        return v.booleanValue();
    }

    Instant instant(String name) throws MalformedArtifactException {
        String s = text(name);
        try {
            if (!s.endsWith("Z")) {
                throw new DateTimeParseException("not UTC", s, s.length());
            }
            return Instant.parse(s);
        } catch (DateTimeParseException e) {
            throw new MalformedArtifactException(source, "field " + path(name),
                    "an ISO-8601 UTC instant like 2026-01-31T12:00:00Z", "'" + s + "'");
        }
    }

    JsonFields object(String name) throws MalformedArtifactException {
        JsonFields child = new JsonFields(source, path(name) + ".", field(name, "a JSON object"));
        if (!child.node.isObject()) {
            throw new MalformedArtifactException(source, "field " + path(name), "a JSON object", describe(child.node));
        }
        return child;
    }

    List<JsonFields> array(String name) throws MalformedArtifactException {
        JsonNode v = field(name, "an array");
        if (!v.isArray()) {
            throw new MalformedArtifactException(source, "field " + path(name), "an array", describe(v));
        }
        List<JsonFields> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            JsonFields item = new JsonFields(source, path(name) + "[" + i + "].", v.get(i));
            if (!item.node.isObject()) {
                throw new MalformedArtifactException(source, "field " + path(name) + "[" + i + "]", "a JSON object",
                        describe(item.node));
            }
            out.add(item);
        }
        return out;
    }

    /** An array of strings. */
    List<String> strings(String name) throws MalformedArtifactException {
        JsonNode v = field(name, "an array of strings");
        if (!v.isArray()) {
            throw new MalformedArtifactException(source, "field " + path(name), "an array of strings", describe(v));
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            if (!v.get(i).isTextual()) {
                throw new MalformedArtifactException(source, "field " + path(name) + "[" + i + "]", "a string",
                        describe(v.get(i)));
            }
            out.add(v.get(i).textValue());
        }
        return out;
    }

    /** An optional array: empty when the field is absent; when present it must be an array (not null). */
    List<JsonFields> optionalArray(String name) throws MalformedArtifactException {
        if (!node.has(name)) {
            return List.of();
        }
        if (node.get(name).isNull()) {
            throw new MalformedArtifactException(source, "field " + path(name), "an array (or no field)", "null");
        }
        return array(name);
    }

    Map<String, String> stringMap(String name) throws MalformedArtifactException {
        JsonFields obj = object(name);
        Map<String, String> out = new TreeMap<>();
        for (Map.Entry<String, JsonNode> e : obj.node.properties()) {
            if (!e.getValue().isTextual()) {
                throw new MalformedArtifactException(source, "field " + obj.path(e.getKey()), "a string",
                        describe(e.getValue()));
            }
            out.put(e.getKey(), e.getValue().textValue());
        }
        return out;
    }

    private static String describe(JsonNode v) {
        if (v == null) {
            return "missing";
        }
        String text = v.toString();
        String shown = text.length() > 60 ? text.substring(0, 57) + "..." : text;
        return v.getNodeType().name().toLowerCase(java.util.Locale.ROOT) + " " + shown;
    }
}
