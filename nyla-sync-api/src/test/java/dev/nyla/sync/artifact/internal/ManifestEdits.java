package dev.nyla.sync.artifact.internal;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Edits one field of manifest JSON as a tamperer or a careless tool would, whatever the whitespace of the
 * manifest: tests that expect an edit to be refused must not pass because a text replacement matched
 * nothing, so an edit that would leave the field as it was fails the test instead.
 */
public final class ManifestEdits {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ManifestEdits() {
    }

    /**
     * {@code json} with the field at {@code pointer} (such as {@code /counts/records}) set to {@code value},
     * added at the end of its object when absent, re-serialized as compact JSON with a final line end.
     */
    public static String set(String json, String pointer, Object value) {
        try {
            JsonNode root = JSON.readTree(json);
            JsonPointer at = JsonPointer.compile(pointer);
            JsonNode parent = root.at(at.head());
            assertTrue(parent instanceof ObjectNode, "no object holds " + pointer + " in " + json);
            JsonNode replacement = JSON.valueToTree(value);
            assertNotEquals(replacement, root.at(at), pointer + " already is " + value + ": the edit changes nothing");
            ((ObjectNode) parent).set(at.last().getMatchingProperty(), replacement);
            return JSON.writeValueAsString(root) + "\n";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Rewrites the manifest {@code file} with a field set, as {@link #set(String, String, Object)} does. */
    public static void set(Path file, String pointer, Object value) throws IOException {
        Files.writeString(file, set(Files.readString(file, StandardCharsets.UTF_8), pointer, value), StandardCharsets.UTF_8);
    }
}
