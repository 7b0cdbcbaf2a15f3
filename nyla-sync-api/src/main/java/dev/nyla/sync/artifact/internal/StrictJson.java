package dev.nyla.sync.artifact.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nyla.sync.MalformedArtifactException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The one strict reader of the JSON files a client verifies ({@code manifest.json} and its signature file):
 * strictly valid UTF-8 without a byte order mark and without NUL (so no UTF-16 or UTF-32, which JSON parsers
 * otherwise guess from the bytes), one JSON value and nothing after it but whitespace, no duplicate keys,
 * and bounded nesting (32 levels), strings (1 MiB) and numbers (1,000 digits). Every refusal is a
 * {@link MalformedArtifactException} that names the file and the rule.
 */
final class StrictJson {
    static final int MAX_NESTING = 32;
    static final int MAX_STRING_LENGTH = 1 << 20;
    static final int MAX_NUMBER_LENGTH = 1000;
    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING)
                    .maxStringLength(MAX_STRING_LENGTH).maxNumberLength(MAX_NUMBER_LENGTH).build())
            .build();
    private static final ObjectMapper MAPPER = new ObjectMapper(JSON);

    private StrictJson() {
    }

    /** The factory whose limits the reader applies; writers use it too, so both agree on the dialect. */
    static JsonFactory factory() {
        return JSON;
    }

    /**
     * Parses {@code bytes} as one JSON value.
     *
     * @param source what the bytes are, for messages
     * @throws MalformedArtifactException when any rule above is broken, naming it
     */
    static JsonNode read(byte[] bytes, String source) throws MalformedArtifactException {
        String text = utf8(bytes, source);
        if (text.startsWith("\uFEFF")) {
            throw new MalformedArtifactException(source, "encoding", "UTF-8 without a byte order mark",
                    "a byte order mark");
        }
        int nul = text.indexOf('\0');
        if (nul >= 0) {
            throw new MalformedArtifactException(source, "encoding", "UTF-8 text without NUL characters",
                    "a NUL at character " + nul + " (UTF-16 or UTF-32?)");
        }
        // Parsed from characters, so the parser never guesses an encoding from the bytes.
        try (JsonParser p = JSON.createParser(text)) {
            JsonNode root = MAPPER.readTree(p);
            if (p.nextToken() != null) {
                throw new MalformedArtifactException(source, "content after the JSON value", "end of file",
                        p.currentToken());
            }
            if (root == null) {
                throw new MalformedArtifactException(source, "content", "a JSON value", "nothing");
            }
            return root;
        } catch (JsonProcessingException e) {
            // Limits (nesting, string and number lengths) are reported without a location.
            JsonLocation at = e.getLocation();
            throw new MalformedArtifactException(source + ": not valid JSON: " + e.getOriginalMessage()
                    + (at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr()), e);
        } catch (IOException e) {
            throw new MalformedArtifactException(source + ": unreadable: " + e.getMessage(), e);
        }
    }

    private static String utf8(byte[] bytes, String source) throws MalformedArtifactException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length); // UTF-8 never gives more characters than bytes
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            throw new MalformedArtifactException(source, "encoding", "strictly valid UTF-8",
                    "an invalid byte sequence at byte " + in.position() + " (UTF-16 or UTF-32 with a byte order mark?)");
        }
        return out.flip().toString();
    }
}
