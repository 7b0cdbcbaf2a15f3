package dev.nyla.sync.client;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.SourceRecord;
import dev.nyla.sync.artifact.BadSignatureException;
import dev.nyla.sync.artifact.DirectoryArtifactSource;
import dev.nyla.sync.artifact.DowngradeException;
import dev.nyla.sync.artifact.HttpArtifactSource;
import dev.nyla.sync.artifact.KeyDocument;
import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.artifact.TrustRoot;
import dev.nyla.sync.artifact.internal.KeyDocumentCodec;
import dev.nyla.sync.artifact.internal.KeyDocumentSignature;
import dev.nyla.sync.corpus.Corpus;
import dev.nyla.sync.publish.KeyRotation;
import dev.nyla.sync.publish.Publisher;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.internal.FileVectorStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Key rotation without an app update, end to end: a real site written by the publisher and
 * {@link KeyRotation}, real stores and state directories, a directory source and a loopback HTTP host. The
 * client pins only the first key throughout.
 */
class KeyRotationSyncTest {
    private static final KeyPair K1 = SigningKeys.generate();
    private static final KeyPair K2 = SigningKeys.generate();
    private static final KeyPair K3 = SigningKeys.generate();
    private static final KeyPair STRANGER = SigningKeys.generate();

    @TempDir
    Path dir;
    private Path site;
    private final Closer closer = new Closer();
    private int published;

    @BeforeEach
    void setUp() throws IOException {
        site = Files.createDirectories(dir.resolve("site"));
        publish(K1);
    }

    @AfterEach
    void tearDown() throws Exception {
        closer.closeAll();
    }

    /** Publishes the next version signed with {@code key}, building on a previous one signed by {@code previous}. */
    private void publish(KeyPair key, KeyPair... previous) throws IOException {
        Publisher.Builder b = Publisher.builder().signingKey(key).embedder(Releases.EMBEDDER);
        for (KeyPair k : previous) {
            b.trustPreviousKey(k.getPublic());
        }
        Publisher p = b.build();
        Corpus corpus = Corpus.of(records(published + 1));
        published = (int) (published == 0 ? p.publish(corpus, site) : p.publish(corpus, site, site)).manifest().version();
    }

    private static List<SourceRecord> records(int version) {
        return Releases.corpus(120, version, 10, false);
    }

    /** A client of {@code store} pinning {@code pins} (K1 unless given), its state in the store's directory. */
    private NylaSync client(Path store, PublicKey... pins) throws IOException {
        return client(store, NylaSync.builder().publicKeys(List.of(pins.length == 0 ? new PublicKey[] {K1.getPublic()}
                : pins)));
    }

    private NylaSync client(Path store, NylaSync.Builder builder) throws IOException {
        FileVectorStore s = closer.later(FileVectorStore.open(store));
        return closer.later(builder.source(new DirectoryArtifactSource(site)).store(s)
                .queryEmbedder(Releases.EMBEDDER).build());
    }

    private static void assertInstalled(SyncResult r, int version, NylaSync sync) throws IOException {
        assertEquals(SyncResult.Outcome.INSTALLED, r.outcome(), r.steps().toString());
        assertEquals(version, sync.store().activeGeneration().map(Generation::version).orElse(0L));
        assertEquals(Releases.expected(records(version)), Releases.contents(sync.store()));
    }

    /** Asserts that the run failed with {@code type} and version {@code serving} still serves; returns the failure. */
    private static <T extends IOException> T assertRefused(Class<T> type, SyncResult r, NylaSync sync, long serving)
            throws IOException {
        assertEquals(SyncResult.Outcome.FAILED, r.outcome(), r.steps().toString());
        IOException failure = r.failure().orElseThrow();
        assertInstanceOf(type, failure, failure.toString());
        assertEquals(serving, sync.store().activeGeneration().map(Generation::version).orElse(0L),
                "the installed version serves");
        return type.cast(failure);
    }

    private static Path kept(Path store, long n) {
        return store.resolve("sync").resolve(KeyChain.DIR).resolve(n + ".json");
    }

    private void rotate(KeyPair signer, KeyPair newKey, KeyPair... revoked) throws IOException {
        KeyRotation.Builder b = KeyRotation.builder(site).signingKey(signer).newKey(newKey);
        for (KeyPair r : revoked) {
            b.revoke(SigningKeys.keyId(r.getPublic()));
        }
        b.rotate();
    }

    /** Writes {@code keys-<n>.json} and its signatures as an attacker or a broken host would. */
    private void serve(long n, byte[] document, byte[] signatures) throws IOException {
        Files.write(site.resolve(KeyDocument.signatureFileName(n)), signatures);
        Files.write(site.resolve(KeyDocument.fileName(n)), document);
    }

    private void serveForged(int threshold, List<KeyPair> keys, List<String> revoked, KeyPair... signers)
            throws IOException {
        byte[] bytes = KeyDocumentCodec.write(new KeyDocument(1, threshold, keys.stream().map(KeyPair::getPublic)
                .toList(), revoked, Instant.parse("2026-03-01T00:00:00Z")));
        serve(1, bytes, KeyDocumentSignature.sign(bytes, List.of(signers)));
    }

    @Test
    void aClientThatNeverUpdatedFollowsTwoRotationsAndKeepsTheTrustRootAcrossRestarts() throws Exception {
        Path store = dir.resolve("store");
        NylaSync sync = client(store);
        assertInstalled(sync.checkNow(), 1, sync);

        rotate(K1, K2);               // keys-1.json: K1 and K2
        publish(K2);                  // version 2, signed by the new key (the publisher trusts K1 through keys-1.json)
        rotate(K2, K3, K1);           // keys-2.json: K2 and K3, K1 revoked
        publish(K3);                  // version 3
        SyncResult r = sync.checkNow();
        assertInstalled(r, 3, sync);
        assertTrue(Files.isRegularFile(kept(store, 1)) && Files.isRegularFile(kept(store, 2)), "both documents kept");
        assertArrayEquals(Files.readAllBytes(site.resolve("keys-2.json")), Files.readAllBytes(kept(store, 2)));
        closer.closeAll();

        // Without the site's key documents, only the kept trust root lets a client pinning K1 take version 4.
        for (long n = 1; n <= 2; n++) {
            Files.delete(site.resolve(KeyDocument.fileName(n)));
            Files.delete(site.resolve(KeyDocument.signatureFileName(n)));
        }
        publish(K3);
        NylaSync restarted = client(store);
        assertInstalled(restarted.checkNow(), 4, restarted);
        NylaSync fresh = client(dir.resolve("fresh-store"));
        BadSignatureException e = assertRefused(BadSignatureException.class, fresh.checkNow(), fresh, 0);
        assertTrue(e.getMessage().contains("expected one of the trusted keys [" + SigningKeys.keyId(K1.getPublic())
                + "]"), e.getMessage());
        assertEquals(2, NylaSync.savedTrustRoot(store.resolve("sync"), TrustRoot.pinned(List.of(K1.getPublic()), 1))
                .version());
    }

    @Test
    void aManifestSignedByARevokedKeyIsRefusedNamingTheRevocation() throws Exception {
        Path store = dir.resolve("store");
        NylaSync sync = client(store);
        assertInstalled(sync.checkNow(), 1, sync);
        publish(K1);                  // version 2, still signed by K1 ...
        rotate(K1, K2, K1);           // ... which keys-1.json then revokes (it leaked)
        BadSignatureException e = assertRefused(BadSignatureException.class, sync.checkNow(), sync, 1);
        assertTrue(e.actual().contains("'" + SigningKeys.keyId(K1.getPublic()) + "', revoked in key document 1"),
                e.getMessage());
        assertTrue(Files.isRegularFile(kept(store, 1)), "the revocation is kept though the manifest was refused");
        publish(K2, K1);              // the publisher vouches for version 2, signed by the key it revoked
        assertInstalled(sync.checkNow(), 3, sync);
    }

    @Test
    void aDocumentSignedByAKeyTheClientNeverTrustedIsRefused() throws Exception {
        Path store = dir.resolve("store");
        NylaSync sync = client(store);
        assertInstalled(sync.checkNow(), 1, sync);
        serveForged(1, List.of(STRANGER), List.of(SigningKeys.keyId(K1.getPublic())), STRANGER);
        BadSignatureException e = assertRefused(BadSignatureException.class, sync.forceUpdate(), sync, 1);
        assertTrue(e.getMessage().contains("keys-1.json: signatures by the pinned keys"), e.getMessage());
        assertFalse(Files.exists(kept(store, 1)), "nothing of a refused document is kept");
    }

    @Test
    void oneSignatureOfAThresholdOfTwoPinnedKeysIsRefused() throws Exception {
        Path store = dir.resolve("store");
        NylaSync sync = client(store, NylaSync.builder().publicKey(K1.getPublic()).publicKey(K2.getPublic())
                .keyThreshold(2));
        assertInstalled(sync.checkNow(), 1, sync);
        // A thief of K1 alone delegates to a key of their own.
        serveForged(1, List.of(K1, STRANGER), List.of(), K1, STRANGER);
        BadSignatureException e = assertRefused(BadSignatureException.class, sync.forceUpdate(), sync, 1);
        assertTrue(e.expected().contains("at least 2"), e.getMessage());
        assertFalse(Files.exists(kept(store, 1)));
        // With both pinned keys it is a rotation.
        serveForged(2, List.of(K1, K2, STRANGER), List.of(), K1, K2);
        assertEquals(SyncResult.Outcome.INSTALLED, sync.forceUpdate().outcome());
        assertTrue(Files.exists(kept(store, 1)));
    }

    @Test
    void aDocumentWhoseNewKeysDidNotSignIsRefused() throws Exception {
        Path store = dir.resolve("store");
        NylaSync sync = client(store);
        assertInstalled(sync.checkNow(), 1, sync);
        serveForged(1, List.of(K2), List.of(SigningKeys.keyId(K1.getPublic())), K1);
        BadSignatureException e = assertRefused(BadSignatureException.class, sync.forceUpdate(), sync, 1);
        assertTrue(e.expected().contains("proof that the new keys are held"), e.getMessage());
        assertFalse(Files.exists(kept(store, 1)));
    }

    @Test
    void anOlderKeyDocumentServedUnderTheNextNameIsRefusedAsARollback() throws Exception {
        Path store = dir.resolve("store");
        NylaSync sync = client(store);
        rotate(K1, K2);
        publish(K2);
        rotate(K2, K3, K1);
        publish(K3);
        assertInstalled(sync.checkNow(), 3, sync);
        // Document 1 was signed by K2, a key of document 2: only its version tells the replay apart.
        serve(3, Files.readAllBytes(site.resolve("keys-1.json")), Files.readAllBytes(site.resolve("keys-1.json.sig")));
        DowngradeException e = assertRefused(DowngradeException.class, sync.forceUpdate(), sync, 3);
        assertTrue(e.getMessage().contains("keys-3.json: key document version: expected 3"), e.getMessage());
        assertFalse(Files.exists(kept(store, 3)));
        assertEquals(2, NylaSync.savedTrustRoot(store.resolve("sync"), TrustRoot.pinned(List.of(K1.getPublic()), 1))
                .version(), "the trust root never goes back");
    }

    @Test
    void aPartlyWrittenOrDamagedKeptDocumentIsNotTrustedAndIsFetchedAgain() throws Exception {
        Path store = dir.resolve("store");
        rotate(K1, K2);
        publish(K2);
        rotate(K2, K3, K1);
        publish(K3);
        NylaSync sync = client(store);
        assertInstalled(sync.checkNow(), 3, sync);
        closer.closeAll();
        Path keys = kept(store, 1).getParent();
        // A crash mid-write leaves a temporary file; damage truncates a kept document.
        Files.write(keys.resolve("3.json.tmp"), "{\"type\":\"nyla-k".getBytes());
        byte[] two = Files.readAllBytes(kept(store, 2));
        Files.write(kept(store, 2), java.util.Arrays.copyOf(two, two.length / 2));
        TrustRoot pins = TrustRoot.pinned(List.of(K1.getPublic()), 1);
        assertEquals(1, NylaSync.savedTrustRoot(store.resolve("sync"), pins).version(), "the damaged document is not trusted");

        publish(K3);
        NylaSync restarted = client(store);
        assertInstalled(restarted.checkNow(), 4, restarted);
        assertArrayEquals(two, Files.readAllBytes(kept(store, 2)), "fetched again from the site");
        assertEquals(2, NylaSync.savedTrustRoot(store.resolve("sync"), pins).version());
    }

    @Test
    void anAppThatPinsOtherKeysDiscardsTheKeptDocumentsAndFollowsTheSiteFromItsPins() throws Exception {
        Path store = dir.resolve("store");
        rotate(K1, K2);
        publish(K2);
        rotate(K2, K3, K1);
        publish(K3);
        NylaSync sync = client(store);
        assertInstalled(sync.checkNow(), 3, sync);
        closer.closeAll();

        // An app update pins K3, the key of document 2.
        NylaSync updated = client(store, NylaSync.builder().publicKey(K3.getPublic()).pinnedKeysVersion(2));
        assertFalse(Files.exists(kept(store, 1)), "documents verified from the old pins are discarded");
        publish(K3);
        assertInstalled(updated.checkNow(), 4, updated);
        closer.closeAll();

        // Pinning the keys of document 2 without saying so is refused: document 1 is signed by earlier keys.
        NylaSync unversioned = client(dir.resolve("other-store"), K3.getPublic());
        assertRefused(BadSignatureException.class, unversioned.checkNow(), unversioned, 0);
        closer.closeAll();

        // Back to the first pins: the chain is followed again from them.
        NylaSync again = client(store);
        publish(K3);
        assertInstalled(again.checkNow(), 5, again);
        assertTrue(Files.exists(kept(store, 1)) && Files.exists(kept(store, 2)));
    }

    @Test
    void overHttpARotationIsFollowedAndADocumentWithoutItsSignaturesIsNotYetTrusted() throws Exception {
        FaultyHost host = closer.later(new FaultyHost(site));
        HttpArtifactSource source = closer.later(HttpArtifactSource.builder(host.uri()).maxAttempts(2)
                .initialBackoff(Duration.ofMillis(1)).build());
        Path store = dir.resolve("store");
        FileVectorStore s = closer.later(FileVectorStore.open(store));
        NylaSync sync = closer.later(NylaSync.builder().source(source).store(s).publicKey(K1.getPublic())
                .queryEmbedder(Releases.EMBEDDER).build());
        assertInstalled(sync.checkNow(), 1, sync);
        assertEquals(List.of("keys-1.json 404"), keyRequests(host), "one small request per check");

        publish(K1);
        rotate(K1, K2);
        // An upload in progress: the document is on the host before its signatures.
        Path signatures = site.resolve("keys-1.json.sig");
        Path aside = Files.move(signatures, dir.resolve("aside.sig"));
        host.requests.clear();
        assertInstalled(sync.checkNow(), 2, sync);
        assertEquals(List.of("keys-1.json 200", "keys-1.json.sig 404"), keyRequests(host));
        assertFalse(Files.exists(kept(store, 1)), "not trusted yet");

        Files.move(aside, signatures, StandardCopyOption.ATOMIC_MOVE);
        publish(K2);
        host.requests.clear();
        assertInstalled(sync.checkNow(), 3, sync);
        assertEquals(List.of("keys-1.json 200", "keys-1.json.sig 200", "keys-2.json 404"), keyRequests(host));
        assertTrue(Files.exists(kept(store, 1)));
    }

    private static List<String> keyRequests(FaultyHost host) {
        synchronized (host.requests) {
            return host.requests.stream().filter(r -> r.path().startsWith("keys-")).map(r -> r.path() + " " + r.status())
                    .toList();
        }
    }

    @Test
    void withoutAStateDirectoryTheDocumentsAreFollowedFromThePinsAtEveryStart() throws Exception {
        rotate(K1, K2);
        publish(K2);
        for (int start = 0; start < 2; start++) {
            var memory = closer.later(new dev.nyla.sync.store.internal.MemoryVectorStore());
            NylaSync sync = closer.later(NylaSync.builder().source(new DirectoryArtifactSource(site)).store(memory)
                    .publicKey(K1.getPublic()).queryEmbedder(Releases.EMBEDDER).build());
            assertInstalled(sync.checkNow(), 2, sync);
        }
    }
}
