package dev.nyla.sync.artifact;

import dev.nyla.sync.ContentHash;
import dev.nyla.sync.LimitExceededException;
import dev.nyla.sync.internal.Ed25519;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.EdECPrivateKey;
import java.security.spec.NamedParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Ed25519 keys for signing manifests, with the JDK's own provider (no extra dependency).
 *
 * <p>Keys are stored as PEM: the private key as PKCS#8 ({@code -----BEGIN PRIVATE KEY-----}), the public key
 * as X.509 SubjectPublicKeyInfo ({@code -----BEGIN PUBLIC KEY-----}), the same files
 * {@code openssl genpkey -algorithm ed25519} writes, so keys can be made and inspected with standard
 * tools. A key's id is the first 16 hex digits of the SHA-256 of its public key's X.509 encoding.
 */
public final class SigningKeys {
    private static final String PRIVATE_PEM = "PRIVATE KEY";
    private static final String PUBLIC_PEM = "PUBLIC KEY";
    private static final int MAX_KEY_FILE_BYTES = 16 * 1024;

    private SigningKeys() {
    }

    /** A new random key pair. */
    public static KeyPair generate() {
        try {
            return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK has no Ed25519 (needs JDK 15 or newer)", e);
        }
    }

    /**
     * Writes {@code <prefix>.key} (owner-readable only where the file system allows) and {@code <prefix>.pub}.
     * Existing files are never overwritten.
     *
     * @return the private key file
     */
    public static Path write(KeyPair keys, Path prefix) throws IOException {
        Path privateFile = prefix.resolveSibling(prefix.getFileName() + ".key");
        Path publicFile = prefix.resolveSibling(prefix.getFileName() + ".pub");
        for (Path p : new Path[] {privateFile, publicFile}) {
            if (Files.exists(p)) {
                throw new FileAlreadyExistsException(p.toString(), null, "refusing to overwrite a key file");
            }
        }
        if (prefix.toAbsolutePath().getParent() != null) {
            Files.createDirectories(prefix.toAbsolutePath().getParent());
        }
        byte[] privatePem = pem(PRIVATE_PEM, keys.getPrivate().getEncoded());
        try {
            Files.createFile(privateFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(privateFile);
        }
        Files.write(privateFile, privatePem, StandardOpenOption.TRUNCATE_EXISTING);
        Files.write(publicFile, pem(PUBLIC_PEM, keys.getPublic().getEncoded()), StandardOpenOption.CREATE_NEW);
        return privateFile;
    }

    /** Reads a PEM public key file. */
    public static PublicKey readPublicKey(Path file) throws IOException {
        return publicKey(readPem(file, PUBLIC_PEM), file.toString());
    }

    /**
     * Reads a public key from PEM text ({@code -----BEGIN PUBLIC KEY-----} ...), such as a key kept in an
     * application's configuration or bundled as a resource.
     *
     * @param origin where the text came from, for messages (a property name, a resource)
     * @throws BadSignatureException when the text holds no PEM public key block or no Ed25519 key
     */
    public static PublicKey parsePublicKey(String pem, String origin) throws IOException {
        if (pem.length() > MAX_KEY_FILE_BYTES) {
            throw new LimitExceededException(origin, "key text length", "at most " + MAX_KEY_FILE_BYTES + " characters",
                    pem.length() + " characters");
        }
        return publicKey(decodePem(pem, PUBLIC_PEM, origin), origin);
    }

    private static PublicKey publicKey(byte[] der, String origin) throws IOException {
        try {
            return Ed25519.publicKey(der);
        } catch (GeneralSecurityException e) {
            throw new BadSignatureException(origin, "public key", "an Ed25519 public key", e.getMessage());
        }
    }

    /**
     * Reads a PEM private key file and derives its public key, so a publisher needs only the private file.
     */
    public static KeyPair readKeyPair(Path file) throws IOException {
        byte[] der = readPem(file, PRIVATE_PEM);
        PrivateKey privateKey;
        try {
            privateKey = KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (GeneralSecurityException e) {
            throw new BadSignatureException(file.toString(), "private key", "an Ed25519 private key", e.getMessage());
        }
        return new KeyPair(derivePublicKey(privateKey, file), privateKey);
    }

    /** The key id: the first 16 hex digits of SHA-256 over the public key's X.509 encoding. */
    public static String keyId(PublicKey key) {
        return HexFormat.of().formatHex(ContentHash.sha256().digest(key.getEncoded()), 0, 8);
    }

    private static PublicKey derivePublicKey(PrivateKey privateKey, Path file) throws IOException {
        // The JDK has no public API to derive an Ed25519 public key. An Ed25519 private key is 32 random
        // bytes, though, so generating a pair from a "random" source that yields exactly those bytes gives
        // the matching public key. The result is checked, so a provider that draws randomness differently
        // fails loudly instead of producing a wrong key.
        byte[] secret = ((EdECPrivateKey) privateKey).getBytes()
                .orElseThrow(() -> new BadSignatureException(file + ": private key bytes are not extractable"));
        SecureRandom replay = new SecureRandom() {
            private static final long serialVersionUID = 1L;

            @Override
            public void nextBytes(byte[] bytes) {
                if (bytes.length != secret.length) {
                    throw new IllegalStateException("unexpected draw of " + bytes.length + " bytes");
                }
                System.arraycopy(secret, 0, bytes, 0, bytes.length);
            }
        };
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("Ed25519");
            g.initialize(NamedParameterSpec.ED25519, replay);
            KeyPair derived = g.generateKeyPair();
            byte[] check = ((EdECPrivateKey) derived.getPrivate()).getBytes().orElse(new byte[0]);
            if (!Arrays.equals(check, secret)) {
                throw new BadSignatureException(file + ": cannot derive the public key on this JDK; "
                        + "keep the .pub file beside the key and load it with readPublicKey");
            }
            return derived.getPublic();
        } catch (GeneralSecurityException | IllegalStateException e) {
            throw new BadSignatureException(file + ": cannot derive the public key: " + e.getMessage(), e);
        }
    }

    private static byte[] pem(String type, byte[] der) {
        String body = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
        return ("-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n").getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] readPem(Path file, String type) throws IOException {
        if (Files.size(file) > MAX_KEY_FILE_BYTES) {
            throw new LimitExceededException(file.toString(), "key file size", "at most " + MAX_KEY_FILE_BYTES + " bytes",
                    Files.size(file) + " bytes");
        }
        return decodePem(new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1), type, file.toString());
    }

    private static byte[] decodePem(String text, String type, String origin) throws IOException {
        String begin = "-----BEGIN " + type + "-----";
        String end = "-----END " + type + "-----";
        int b = text.indexOf(begin);
        int e = text.indexOf(end);
        if (b < 0 || e < b) {
            throw new BadSignatureException(origin, "PEM key", "a PEM block '" + begin + "'",
                    text.isBlank() ? "an empty file" : "no such block");
        }
        try {
            return Base64.getMimeDecoder().decode(text.substring(b + begin.length(), e));
        } catch (IllegalArgumentException ex) {
            throw new BadSignatureException(origin, "PEM key", "base64 between the PEM lines", ex.getMessage());
        }
    }
}
