package dev.nyla.sync.artifact.internal;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.artifact.BadSignatureException;
import dev.nyla.sync.artifact.SigningKeys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestSignatureTest {
    @TempDir
    Path dir;

    private final byte[] manifest = ManifestCodec.write(ManifestCodecTest.sample());

    @Test
    void aSignatureVerifiesWithItsKeyAndIsDeterministic() throws BadSignatureException {
        KeyPair keys = SigningKeys.generate();
        byte[] sig = ManifestSignature.sign(manifest, keys);
        assertEquals(keys.getPublic(), ManifestSignature.verify(manifest, sig, List.of(keys.getPublic()), "m"));
        assertArrayEquals(sig, ManifestSignature.sign(manifest, keys), "Ed25519 signatures are deterministic");
    }

    @Test
    void anyChangedManifestByteBreaksTheSignature() {
        KeyPair keys = SigningKeys.generate();
        byte[] sig = ManifestSignature.sign(manifest, keys);
        for (int i : new int[] {0, manifest.length / 2, manifest.length - 1}) {
            byte[] tampered = manifest.clone();
            tampered[i] ^= 1;
            BadSignatureException e = assertThrows(BadSignatureException.class,
                    () -> ManifestSignature.verify(tampered, sig, List.of(keys.getPublic()), "cdn/manifest.json"));
            assertTrue(e.getMessage().startsWith("cdn/manifest.json"), e.getMessage());
        }
    }

    @Test
    void aSignatureByAnUntrustedKeyNamesBothKeys() {
        KeyPair signer = SigningKeys.generate();
        KeyPair trusted = SigningKeys.generate();
        byte[] sig = ManifestSignature.sign(manifest, signer);
        BadSignatureException e = assertThrows(BadSignatureException.class,
                () -> ManifestSignature.verify(manifest, sig, List.of(trusted.getPublic()), "m"));
        assertTrue(e.expected().contains(SigningKeys.keyId(trusted.getPublic())), e.getMessage());
        assertTrue(e.actual().contains(SigningKeys.keyId(signer.getPublic())), e.getMessage());
    }

    @Test
    void aKeyIdPointingAtATrustedKeyDoesNotHelpAForgedSignature() {
        KeyPair trusted = SigningKeys.generate();
        KeyPair attacker = SigningKeys.generate();
        String forged = new String(ManifestSignature.sign(manifest, attacker), StandardCharsets.US_ASCII)
                .replace(SigningKeys.keyId(attacker.getPublic()), SigningKeys.keyId(trusted.getPublic()));
        assertThrows(BadSignatureException.class, () -> ManifestSignature.verify(manifest,
                forged.getBytes(StandardCharsets.US_ASCII), List.of(trusted.getPublic()), "m"));
    }

    @Test
    void garbageSignatureFilesAreRefused() {
        List<java.security.PublicKey> keys = List.of(SigningKeys.generate().getPublic());
        for (String bad : new String[] {"", "not json", "[]", "{\"algorithm\":\"RSA\"}",
                "{\"algorithm\":\"Ed25519\",\"keyId\":\"x\",\"signature\":\"!!\"}"}) {
            assertThrows(BadSignatureException.class,
                    () -> ManifestSignature.verify(manifest, bad.getBytes(StandardCharsets.UTF_8), keys, "m"), bad);
        }
        assertThrows(BadSignatureException.class, () -> ManifestSignature.verify(manifest, new byte[5000], keys, "m"));
    }

    @Test
    void signatureFilesWithDuplicateOrNonStringFieldsAreRefused() {
        KeyPair keys = SigningKeys.generate();
        String good = new String(ManifestSignature.sign(manifest, keys), StandardCharsets.US_ASCII);
        String duplicated = good.replace("{", "{\"keyId\":\"0000000000000000\",");
        assertThrows(BadSignatureException.class, () -> ManifestSignature.verify(manifest,
                duplicated.getBytes(StandardCharsets.US_ASCII), List.of(keys.getPublic()), "m"));
        String numeric = good.replaceAll("\"keyId\":\"[0-9a-f]+\"", "\"keyId\":12");
        assertThrows(BadSignatureException.class, () -> ManifestSignature.verify(manifest,
                numeric.getBytes(StandardCharsets.US_ASCII), List.of(keys.getPublic()), "m"));
    }

    @Test
    void keysRoundTripThroughPemFilesAndThePublicKeyIsDerivedFromThePrivateOne() throws IOException {
        KeyPair keys = SigningKeys.generate();
        Path privateFile = SigningKeys.write(keys, dir.resolve("release"));
        assertEquals(dir.resolve("release.key"), privateFile);
        KeyPair loaded = SigningKeys.readKeyPair(privateFile);
        assertEquals(keys.getPublic(), loaded.getPublic());
        assertEquals(keys.getPublic(), SigningKeys.readPublicKey(dir.resolve("release.pub")));
        byte[] sig = ManifestSignature.sign(manifest, loaded);
        assertDoesNotThrow(() -> ManifestSignature.verify(manifest, sig, List.of(keys.getPublic()), "m"));
        assertThrows(FileAlreadyExistsException.class, () -> SigningKeys.write(SigningKeys.generate(), dir.resolve("release")));
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(privateFile)));
    }

    @Test
    void aPublicKeyIsReadFromPemTextAsFromItsFile() throws IOException {
        KeyPair keys = SigningKeys.generate();
        Path pub = SigningKeys.write(keys, dir.resolve("text")).resolveSibling("text.pub");
        assertEquals(keys.getPublic(), SigningKeys.parsePublicKey(Files.readString(pub), "app.key"));
        BadSignatureException e = assertThrows(BadSignatureException.class,
                () -> SigningKeys.parsePublicKey("not a key", "nyla.sync.public-key[0]"));
        assertTrue(e.getMessage().contains("nyla.sync.public-key[0]") && e.getMessage().contains("PUBLIC KEY"),
                e.getMessage());
    }

    @Test
    void aNonKeyFileIsRefusedWithAClearMessage() throws IOException {
        Path notAKey = Files.writeString(dir.resolve("x.key"), "hello");
        BadSignatureException e = assertThrows(BadSignatureException.class, () -> SigningKeys.readKeyPair(notAKey));
        assertTrue(e.getMessage().contains("PRIVATE KEY"), e.getMessage());
        Path pub = SigningKeys.write(SigningKeys.generate(), dir.resolve("k")).resolveSibling("k.pub");
        assertThrows(BadSignatureException.class, () -> SigningKeys.readKeyPair(pub), "a public key is not a private key");
    }

    @Test
    void keysMadeByOpensslAreAccepted() throws Exception {
        Path key = dir.resolve("openssl.key");
        Process p;
        try {
            p = new ProcessBuilder("openssl", "genpkey", "-algorithm", "ed25519", "-out", key.toString())
                    .redirectErrorStream(true).start();
        } catch (IOException e) {
            Assumptions.abort("openssl is not installed: " + e.getMessage());
            return;
        }
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        Process pub = new ProcessBuilder("openssl", "pkey", "-in", key.toString(), "-pubout", "-out",
                dir.resolve("openssl.pub").toString()).redirectErrorStream(true).start();
        assertTrue(pub.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, pub.exitValue());
        KeyPair keys = SigningKeys.readKeyPair(key);
        assertEquals(SigningKeys.readPublicKey(dir.resolve("openssl.pub")), keys.getPublic(),
                "the derived public key is the one openssl computes");
    }
}
