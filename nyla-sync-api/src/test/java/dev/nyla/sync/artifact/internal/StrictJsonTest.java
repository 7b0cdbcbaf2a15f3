package dev.nyla.sync.artifact.internal;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.ArtifactException;
import dev.nyla.sync.MalformedArtifactException;
import dev.nyla.sync.SourceRecord;
import dev.nyla.sync.artifact.BadSignatureException;
import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.artifact.Mutations;
import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.demo.HashingEmbedder;
import dev.nyla.sync.corpus.Corpus;
import dev.nyla.sync.publish.Publisher;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The manifest's and the signature file's one strict JSON reader: encodings, limits, trailing bytes, fuzzing. */
class StrictJsonTest {
    private static final KeyPair KEYS = SigningKeys.generate();
    /** Bytes that matter to a JSON parser, inserted by the fuzzer. */
    static final String JSON_BYTES = "{}[]\",:0\\e-\u0000";
    private static byte[] manifest;
    private static byte[] signature;

    @BeforeAll
    static void publish(@TempDir Path site) throws IOException {
        List<SourceRecord> records = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            records.add(new SourceRecord("default", "doc-" + i, "text " + i, Map.of("k", "v" + i)));
        }
        Publisher.builder().signingKey(KEYS).embedder(new HashingEmbedder(8)).build().publish(Corpus.of(records), site);
        manifest = Files.readAllBytes(site.resolve(Manifest.FILE_NAME));
        signature = Files.readAllBytes(site.resolve(Manifest.SIGNATURE_FILE_NAME));
    }

    private static String text() {
        return new String(manifest, StandardCharsets.UTF_8);
    }

    private static MalformedArtifactException refused(byte[] bytes) {
        return assertThrows(MalformedArtifactException.class, () -> ManifestCodec.read(bytes, "manifest.json"));
    }

    @Test
    void theManifestAsPublishedReads() throws ArtifactException {
        assertEquals(1, ManifestCodec.read(manifest, "manifest.json").version());
        assertEquals(1, Artifacts.verifyManifest(manifest, signature, List.of(KEYS.getPublic()), "m").version());
    }

    @Test
    void nestingBeyondTheLimitIsMalformedNamingTheLimitNotANullPointer() {
        String deep = "[".repeat(StrictJson.MAX_NESTING + 1) + "]".repeat(StrictJson.MAX_NESTING + 1);
        String json = text().replaceFirst("\\{", "{\"deep\":" + deep + ",");
        MalformedArtifactException e = refused(json.getBytes(StandardCharsets.UTF_8));
        assertTrue(e.getMessage().contains("nesting depth"), e.getMessage());
    }

    @Test
    void aStringBeyondTheLimitIsMalformedNamingTheLimit() {
        String json = text().replaceFirst("\\{", "{\"long\":\"" + "x".repeat(StrictJson.MAX_STRING_LENGTH + 1) + "\",");
        MalformedArtifactException e = refused(json.getBytes(StandardCharsets.UTF_8));
        assertTrue(e.getMessage().contains("String value length"), e.getMessage());
    }

    @Test
    void aNumberBeyondTheLimitIsMalformedNamingTheLimit() {
        String json = text().replaceFirst("\\{", "{\"big\":" + "9".repeat(StrictJson.MAX_NUMBER_LENGTH + 1) + ",");
        MalformedArtifactException e = refused(json.getBytes(StandardCharsets.UTF_8));
        assertTrue(e.getMessage().contains("Number value length"), e.getMessage());
    }

    @Test
    void utf16And32WithOrWithoutAByteOrderMarkAreRefusedBeforeParsing() {
        for (String charset : new String[] {"UTF-16LE", "UTF-16BE", "UTF-32LE", "UTF-32BE"}) {
            byte[] plain = text().getBytes(Charset.forName(charset));
            byte[] bom = ("\uFEFF" + text()).getBytes(Charset.forName(charset));
            for (byte[] bytes : List.of(plain, bom)) {
                MalformedArtifactException e = refused(bytes);
                assertTrue(e.getMessage().contains("encoding"), charset + ": " + e.getMessage());
            }
        }
        byte[] utf8Bom = ("\uFEFF" + text()).getBytes(StandardCharsets.UTF_8);
        assertTrue(refused(utf8Bom).getMessage().contains("byte order mark"));
    }

    @Test
    void aSignatureFileWithBytesAfterItsObjectIsRefusedAsTheManifestWouldBe() {
        String sig = new String(signature, StandardCharsets.US_ASCII).strip();
        for (String tail : new String[] {"{}", "x", "\"extra\"", "[1]"}) {
            byte[] bytes = (sig + tail).getBytes(StandardCharsets.US_ASCII);
            BadSignatureException e = assertThrows(BadSignatureException.class,
                    () -> ManifestSignature.verify(manifest, bytes, List.of(KEYS.getPublic()), "manifest.json"));
            assertTrue(e.getMessage().contains("manifest.json.sig"), e.getMessage());
        }
        byte[] utf16 = ("\uFEFF" + sig).getBytes(StandardCharsets.UTF_16LE);
        assertThrows(BadSignatureException.class,
                () -> ManifestSignature.verify(manifest, utf16, List.of(KEYS.getPublic()), "manifest.json"));
    }

    /**
     * Seeded mutations of a real manifest and signature (flipped, inserted, deleted and duplicated bytes): only
     * the documented typed exceptions may escape, never a NullPointerException or another runtime exception.
     */
    @Test
    void fuzzedManifestsAndSignaturesGiveOnlyTypedRefusals() {
        Random random = new Random(20);
        int typed = 0;
        int accepted = 0;
        for (int i = 0; i < 3_000; i++) {
            byte[] m = Mutations.edit(manifest, random, JSON_BYTES);
            try {
                ManifestCodec.read(m, "fuzz-" + i);
                accepted++;
            } catch (ArtifactException e) {
                typed++;
            } catch (RuntimeException e) {
                fail("manifest mutation " + i + " escaped as " + e, e);
            }
            byte[] s = Mutations.edit(signature, random, JSON_BYTES);
            try {
                ManifestSignature.verify(manifest, s, List.of(KEYS.getPublic()), "fuzz-" + i);
                accepted++;
            } catch (BadSignatureException e) {
                typed++;
            } catch (RuntimeException e) {
                fail("signature mutation " + i + " escaped as " + e, e);
            }
        }
        assertTrue(typed > 3_000, "most mutations are refused, typed: " + typed + ", accepted: " + accepted);
    }
}
