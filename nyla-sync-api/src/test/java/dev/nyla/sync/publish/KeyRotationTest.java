package dev.nyla.sync.publish;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.ArtifactException;
import dev.nyla.sync.artifact.BadSignatureException;
import dev.nyla.sync.artifact.KeyDocument;
import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.artifact.TrustRoot;
import dev.nyla.sync.artifact.internal.KeyDocumentCodec;
import dev.nyla.sync.artifact.internal.KeyDocumentSignature;
import dev.nyla.sync.artifact.internal.RootRotation;
import dev.nyla.sync.corpus.Corpus;
import dev.nyla.sync.demo.HashingEmbedder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** The publisher's side of key rotation: writing key documents, and publishing with the keys they name. */
class KeyRotationTest {
    private static final KeyPair K1 = SigningKeys.generate();
    private static final KeyPair K2 = SigningKeys.generate();
    private static final KeyPair K3 = SigningKeys.generate();
    private static final KeyPair STRANGER = SigningKeys.generate();
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-03-01T12:00:00.5Z"), ZoneOffset.UTC);

    @TempDir
    Path site;
    @TempDir
    Path elsewhere;

    private static String id(KeyPair k) {
        return SigningKeys.keyId(k.getPublic());
    }

    private KeyDocument read(long n) throws IOException {
        return KeyDocumentCodec.read(Files.readAllBytes(site.resolve(KeyDocument.fileName(n))), "keys-" + n);
    }

    /** The trust root a client pinning K1 reaches by following the site's documents 1..n. */
    private TrustRoot follow(long n) throws IOException {
        TrustRoot root = TrustRoot.pinned(List.of(K1.getPublic()), 1);
        for (long v = 1; v <= n; v++) {
            root = RootRotation.next(root, Files.readAllBytes(site.resolve(KeyDocument.fileName(v))),
                    Files.readAllBytes(site.resolve(KeyDocument.signatureFileName(v))), "keys-" + v);
        }
        return root;
    }

    private PublishResult publish(KeyPair key, Path out, Path previous) throws IOException {
        Publisher p = Publisher.builder().signingKey(key).embedder(new HashingEmbedder(32)).build();
        return previous == null ? p.publish(Corpus.of(PublisherTest.corpus(20)), out)
                : p.publish(Corpus.of(PublisherTest.corpus(21)), out, previous);
    }

    @Test
    void theFirstRotationStartsFromTheSigningKeysAndTheNextFromTheNewestDocument() throws IOException {
        KeyDocument first = KeyRotation.builder(site).signingKey(K1).newKey(K2).clock(CLOCK).rotate();
        assertEquals(new KeyDocument(1, 1, List.of(K1.getPublic(), K2.getPublic()), List.of(),
                Instant.parse("2026-03-01T12:00:00Z")), first);
        assertEquals(first, read(1));
        KeyDocument second = KeyRotation.builder(site).signingKey(K2).newKey(K3).revoke(id(K1)).threshold(2).rotate();
        assertEquals(List.of(id(K2), id(K3)), second.keyIds());
        assertEquals(List.of(id(K1)), second.revoked());
        TrustRoot client = follow(2);
        assertEquals(List.of(id(K2), id(K3)), client.keyIds());
        assertEquals(Map.of(id(K1), 2L), client.revoked());
        assertEquals(2, client.threshold());
    }

    @Test
    void rotationsThatClientsWouldRefuseAreRefusedAndWriteNothing() throws IOException {
        KeyRotation.builder(site).signingKey(K1).newKey(K2).threshold(2).rotate();
        List<Executable> refused = List.of(
                () -> KeyRotation.builder(site).newKey(K3).rotate(),
                // One signature where document 1 asks for two.
                () -> KeyRotation.builder(site).signingKey(K1).newKey(K3).rotate(),
                () -> KeyRotation.builder(site).signingKey(K1).signingKey(K2).revoke(id(STRANGER)).rotate(),
                () -> KeyRotation.builder(site).signingKey(K1).signingKey(K2).newKey(K2).rotate(),
                () -> KeyRotation.builder(site).signingKey(K1).signingKey(K2).rotate(),
                // Revoking K1 leaves one key, fewer than the threshold of 2 kept by default.
                () -> KeyRotation.builder(site).signingKey(K1).signingKey(K2).revoke(id(K1)).rotate());
        for (Executable e : refused) {
            assertThrows(IllegalArgumentException.class, e);
        }
        KeyRotation.builder(site).signingKey(K1).signingKey(K2).revoke(id(K1)).threshold(1).rotate();
        IllegalArgumentException back = assertThrows(IllegalArgumentException.class,
                () -> KeyRotation.builder(site).signingKey(K2).newKey(K1).rotate());
        assertTrue(back.getMessage().contains("revoked in key document 2"), back.getMessage());
        assertFalse(Files.exists(site.resolve("keys-3.json")));
        assertFalse(Files.exists(site.resolve("keys-3.json.sig")));
    }

    @Test
    void aSiteWhoseNewestDocumentNoneOfTheSigningKeysSignedIsNotRotated() throws IOException {
        // Someone with write access to the site put a document there that lists K1 beside their own key.
        byte[] forged = KeyDocumentCodec.write(new KeyDocument(1, 1, List.of(STRANGER.getPublic(), K1.getPublic()),
                List.of(), Instant.parse("2026-03-01T00:00:00Z")));
        Files.write(site.resolve("keys-1.json.sig"), KeyDocumentSignature.sign(forged, List.of(STRANGER)));
        Files.write(site.resolve("keys-1.json"), forged);
        ArtifactException e = assertThrows(ArtifactException.class,
                () -> KeyRotation.builder(site).signingKey(K1).newKey(K2).rotate());
        assertTrue(e.getMessage().contains("a document none of them signed"), e.getMessage());
        assertFalse(Files.exists(site.resolve("keys-2.json")));
    }

    @Test
    void aPublisherWithTheNewKeyBuildsOnManifestsOfTheKeyItRotatedFrom() throws IOException {
        publish(K1, site, null);
        KeyRotation.builder(site).signingKey(K1).newKey(K2).rotate();
        PublishResult r = publish(K2, site, site);
        assertEquals(2, r.manifest().version());
        assertTrue(r.deltaBytes() > 0, "a delta from version 1, whose manifest K1 signed");
        // A new --out gets the site's key documents, before the manifest that needs them.
        Path out = elsewhere.resolve("out");
        publish(K2, out, site);
        assertArrayEquals(Files.readAllBytes(site.resolve("keys-1.json")), Files.readAllBytes(out.resolve("keys-1.json")));
        assertArrayEquals(Files.readAllBytes(site.resolve("keys-1.json.sig")),
                Files.readAllBytes(out.resolve("keys-1.json.sig")));
    }

    @Test
    void aPublisherRefusesAKeyTheSiteDoesNotTrustOrRevoked() throws IOException {
        publish(K1, site, null);
        KeyRotation.builder(site).signingKey(K1).newKey(K2).revoke(id(K1)).rotate();
        BadSignatureException revoked = assertThrows(BadSignatureException.class, () -> publish(K1, site, site));
        assertTrue(revoked.actual().contains(id(K1) + ", revoked in key document 1"), revoked.getMessage());
        BadSignatureException stranger = assertThrows(BadSignatureException.class, () -> publish(STRANGER, site, site));
        assertTrue(stranger.actual().contains("add it with rotate-key first"), stranger.getMessage());
        // K1 is revoked: the previous manifest it signed is accepted only when vouched for.
        assertThrows(BadSignatureException.class, () -> publish(K2, site, site));
        PublishResult r = Publisher.builder().signingKey(K2).trustPreviousKey(K1.getPublic())
                .embedder(new HashingEmbedder(32)).build().publish(Corpus.of(PublisherTest.corpus(21)), site, site);
        assertEquals(2, r.manifest().version());
    }

    @Test
    void aPublisherDoesNotTrustKeysOfADocumentItsKeyDidNotSign() throws IOException {
        publish(K1, site, null);
        byte[] forged = KeyDocumentCodec.write(new KeyDocument(1, 1, List.of(STRANGER.getPublic(), K1.getPublic(),
                K2.getPublic()), List.of(), Instant.parse("2026-03-01T00:00:00Z")));
        Files.write(site.resolve("keys-1.json.sig"), KeyDocumentSignature.sign(forged, List.of(STRANGER)));
        Files.write(site.resolve("keys-1.json"), forged);
        // K2 is listed but did not sign: the document does not make K2's publisher trust K1's (or STRANGER's) manifests.
        BadSignatureException e = assertThrows(BadSignatureException.class, () -> publish(K2, site, site));
        assertTrue(e.getMessage().contains(id(K1)), e.getMessage());
    }
}
