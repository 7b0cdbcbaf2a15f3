package dev.nyla.sync.artifact.internal;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.ArtifactException;
import dev.nyla.sync.LimitExceededException;
import dev.nyla.sync.MalformedArtifactException;
import dev.nyla.sync.UnsupportedFormatException;
import dev.nyla.sync.artifact.BadSignatureException;
import dev.nyla.sync.artifact.DowngradeException;
import dev.nyla.sync.artifact.KeyDocument;
import dev.nyla.sync.artifact.Mutations;
import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.artifact.TrustRoot;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The rules by which a client accepts the next key document (TUF's root rotation), one by one. */
class RootRotationTest {
    private static final KeyPair K1 = SigningKeys.generate();
    private static final KeyPair K2 = SigningKeys.generate();
    private static final KeyPair K3 = SigningKeys.generate();
    private static final KeyPair STRANGER = SigningKeys.generate();
    private static final Instant AT = Instant.parse("2026-03-01T12:00:00Z");

    private static final TrustRoot PINNED = TrustRoot.pinned(List.of(K1.getPublic()), 1);

    /** A document of {@code keys} revoking {@code revoked}, signed by {@code signers}. */
    static KeyDocumentFiles document(long version, int threshold, List<KeyPair> keys, List<String> revoked,
                                     KeyPair... signers) {
        byte[] bytes = KeyDocumentCodec.write(new KeyDocument(version, threshold,
                keys.stream().map(KeyPair::getPublic).toList(), revoked, AT));
        return new KeyDocumentFiles(bytes, KeyDocumentSignature.sign(bytes, List.of(signers)));
    }

    private static TrustRoot next(TrustRoot root, KeyDocumentFiles f) throws ArtifactException {
        return RootRotation.next(root, f.document(), f.signatures(), "site/keys-" + (root.version() + 1) + ".json");
    }

    private static String id(KeyPair k) {
        return SigningKeys.keyId(k.getPublic());
    }

    @Test
    void aDocumentSignedByThePinnedKeyAndItsNewKeyMovesTrustToItsKeys() throws ArtifactException {
        TrustRoot one = next(PINNED, document(1, 1, List.of(K2), List.of(id(K1)), K1, K2));
        assertEquals(1, one.version());
        assertEquals(List.of(K2.getPublic()), one.keys());
        assertEquals(Map.of(id(K1), 1L), one.revoked());
        TrustRoot two = next(one, document(2, 1, List.of(K2, K3), List.of(id(K1)), K2, K3));
        assertEquals(List.of(id(K2), id(K3)), two.keyIds());
        assertEquals(Map.of(id(K1), 1L), two.revoked(), "a revocation keeps the number of the document that made it");
    }

    @Test
    void aDocumentSignedByAKeyTheClientDoesNotTrustIsRefusedAsForged() {
        BadSignatureException e = assertThrows(BadSignatureException.class,
                () -> next(PINNED, document(1, 1, List.of(STRANGER), List.of(), STRANGER)));
        assertTrue(e.getMessage().contains("signatures by the pinned keys [" + id(K1) + "]"), e.getMessage());
        assertTrue(e.actual().contains("0 valid") && e.actual().contains(id(STRANGER)), e.getMessage());
    }

    @Test
    void oneSignatureIsNotEnoughWhenTheThresholdIsTwo() throws ArtifactException {
        TrustRoot twoOfThree = TrustRoot.pinned(List.of(K1.getPublic(), K2.getPublic(), K3.getPublic()), 2);
        KeyDocumentFiles one = document(1, 1, List.of(STRANGER), List.of(), K1, STRANGER);
        BadSignatureException e = assertThrows(BadSignatureException.class, () -> next(twoOfThree, one));
        assertTrue(e.expected().contains("at least 2"), e.getMessage());
        assertTrue(e.actual().startsWith("1 valid [" + id(K1) + "]"), e.getMessage());
        // The same key's signature twice is still one key.
        String entry = new String(KeyDocumentSignature.sign(one.document(), List.of(K1)), StandardCharsets.US_ASCII);
        entry = entry.substring(entry.indexOf('[') + 1, entry.lastIndexOf(']'));
        byte[] twice = ("{\"signatures\":[" + entry + "," + entry + "]}").getBytes(StandardCharsets.US_ASCII);
        assertThrows(BadSignatureException.class, () -> RootRotation.next(twoOfThree, one.document(), twice, "twice"));
        assertEquals(1, next(twoOfThree, document(1, 1, List.of(STRANGER), List.of(), K1, K3, STRANGER)).version());
    }

    @Test
    void newKeysThatDidNotSignTheirDocumentAreRefused() {
        BadSignatureException e = assertThrows(BadSignatureException.class,
                () -> next(PINNED, document(1, 1, List.of(K2), List.of(id(K1)), K1)));
        assertTrue(e.getMessage().contains("its own keys [" + id(K2) + "]"), e.getMessage());
        assertTrue(e.expected().contains("proof that the new keys are held"), e.getMessage());
    }

    @Test
    void anOlderDocumentServedUnderTheNextNameIsARollback() throws ArtifactException {
        KeyDocumentFiles first = document(1, 1, List.of(K1, K2), List.of(), K1, K2);
        TrustRoot one = next(PINNED, first);
        TrustRoot two = next(one, document(2, 1, List.of(K2, K3), List.of(id(K1)), K2, K3));
        // K2, a key of document 2, signed document 1: only the version field tells the replay apart.
        DowngradeException e = assertThrows(DowngradeException.class, () -> next(two, first));
        assertEquals("1 (an older document served again: a rollback; the host must serve each document under its own "
                + "name)", e.actual());
        assertTrue(e.expected().startsWith("3 "), e.getMessage());
        MalformedArtifactException ahead = assertThrows(MalformedArtifactException.class,
                () -> next(one, document(3, 1, List.of(K2), List.of(), K1, K2)));
        assertTrue(ahead.getMessage().contains("key document version"), ahead.getMessage());
    }

    @Test
    void aRevocationCannotBeUndone() throws ArtifactException {
        TrustRoot one = next(PINNED, document(1, 1, List.of(K2), List.of(id(K1)), K1, K2));
        MalformedArtifactException e = assertThrows(MalformedArtifactException.class,
                () -> next(one, document(2, 1, List.of(K2, K3), List.of(), K2, K3)));
        assertTrue(e.getMessage().contains(id(K1) + " (revoked in key document 1)"), e.getMessage());
        // Nor can a document list a key it revokes.
        assertThrows(IllegalArgumentException.class, () -> document(2, 1, List.of(K2, K1), List.of(id(K1)), K2));
    }

    @Test
    void aKeyIdThatIsNotTheIdOfItsKeyIsRefused() {
        KeyDocumentFiles f = document(1, 1, List.of(K2), List.of(), K1, K2);
        String lying = new String(f.document(), StandardCharsets.US_ASCII).replace(id(K2), id(K3));
        byte[] bytes = lying.getBytes(StandardCharsets.US_ASCII);
        MalformedArtifactException e = assertThrows(MalformedArtifactException.class,
                () -> RootRotation.next(PINNED, bytes, KeyDocumentSignature.sign(bytes, List.of(K1, K2)), "k"));
        assertTrue(e.getMessage().contains("keys[0].keyId"), e.getMessage());
    }

    @Test
    void unknownFieldsAreIgnoredAndANewerFormatNeedsANewerClient() throws ArtifactException {
        String doc = new String(document(1, 1, List.of(K2), List.of(), K1).document(), StandardCharsets.US_ASCII);
        byte[] extended = doc.replace("\"createdAt\"", "\"note\":{\"x\":[1]},\"createdAt\"")
                .getBytes(StandardCharsets.US_ASCII);
        assertEquals(1, RootRotation.next(PINNED, extended, KeyDocumentSignature.sign(extended, List.of(K1, K2)), "k").version());
        byte[] newer = doc.replace("\"formatVersion\":1", "\"formatVersion\":2").getBytes(StandardCharsets.US_ASCII);
        assertThrows(UnsupportedFormatException.class,
                () -> RootRotation.next(PINNED, newer, KeyDocumentSignature.sign(newer, List.of(K1, K2)), "k"));
        byte[] manifestType = doc.replace("nyla-keys", "nyla-manifest").getBytes(StandardCharsets.US_ASCII);
        assertThrows(MalformedArtifactException.class,
                () -> RootRotation.next(PINNED, manifestType, KeyDocumentSignature.sign(manifestType, List.of(K1, K2)), "k"));
    }

    @Test
    void documentsAndSignatureFilesOverTheLimitAreRefusedBeforeParsing() {
        byte[] big = new byte[KeyDocument.MAX_BYTES + 1];
        assertThrows(LimitExceededException.class, () -> RootRotation.next(PINNED, big, new byte[10], "k"));
        byte[] small = document(1, 1, List.of(K2), List.of(), K1, K2).document();
        assertThrows(BadSignatureException.class, () -> RootRotation.next(PINNED, small, big, "k"));
    }

    @Test
    void aManifestSignedByARevokedKeyIsRefusedNamingTheRevocation() throws ArtifactException {
        TrustRoot one = next(PINNED, document(1, 1, List.of(K2), List.of(id(K1)), K1, K2));
        byte[] manifest = ManifestCodec.write(ManifestCodecTest.sample());
        BadSignatureException e = assertThrows(BadSignatureException.class, () -> Artifacts.verifyManifest(manifest,
                ManifestSignature.sign(manifest, K1), one, "m"));
        assertTrue(e.actual().contains("revoked in key document 1"), e.getMessage());
        assertTrue(e.expected().startsWith("one of the trusted keys of key document 1 [" + id(K2) + "]"), e.getMessage());
        assertEquals(ManifestCodecTest.sample().version(),
                Artifacts.verifyManifest(manifest, ManifestSignature.sign(manifest, K2), one, "m").version());
    }

    /**
     * Seeded mutations of a real key document and its signature file: only the documented typed exceptions may
     * escape the reader and the verifier.
     */
    @Test
    void fuzzedKeyDocumentsAndSignatureFilesGiveOnlyTypedRefusals() {
        KeyDocumentFiles f = document(1, 1, List.of(K2, K3), List.of(id(K1)), K1, K2);
        Random random = new Random(21);
        int typed = 0;
        for (int i = 0; i < 3_000; i++) {
            byte[] d = Mutations.edit(f.document(), random, StrictJsonTest.JSON_BYTES);
            try {
                KeyDocumentCodec.read(d, "fuzz-" + i);
            } catch (ArtifactException e) {
                typed++;
            } catch (RuntimeException e) {
                fail("document mutation " + i + " escaped as " + e, e);
            }
            byte[] s = Mutations.edit(f.signatures(), random, StrictJsonTest.JSON_BYTES);
            try {
                RootRotation.next(PINNED, f.document(), s, "fuzz-" + i);
            } catch (ArtifactException e) {
                typed++;
            } catch (RuntimeException e) {
                fail("signature file mutation " + i + " escaped as " + e, e);
            }
        }
        assertTrue(typed > 3_000, "most mutations are refused, typed: " + typed);
    }

    @Test
    void theDocumentFormatIsCompactCanonicalJson() {
        PublicKey k = K2.getPublic();
        String doc = new String(KeyDocumentCodec.write(new KeyDocument(4, 1, List.of(k), List.of(id(K1)), AT)),
                StandardCharsets.US_ASCII);
        assertEquals("{\"type\":\"nyla-keys\",\"formatVersion\":1,\"version\":4,\"threshold\":1,\"keys\":[{\"keyId\":\""
                + id(K2) + "\",\"publicKey\":\"" + java.util.Base64.getEncoder().encodeToString(k.getEncoded())
                + "\"}],\"revoked\":[\"" + id(K1) + "\"],\"createdAt\":\"2026-03-01T12:00:00Z\"}\n", doc);
        assertEquals(java.util.OptionalLong.of(4), KeyDocument.versionOf("keys-4.json.sig"));
        assertTrue(KeyDocument.versionOf("keys-04.json").isEmpty());
    }
}
