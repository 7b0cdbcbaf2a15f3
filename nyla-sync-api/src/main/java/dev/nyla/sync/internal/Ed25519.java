package dev.nyla.sync.internal;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.regex.Pattern;

/**
 * The Ed25519 operations behind manifest and key-document signatures, with the JDK's own provider, and the form
 * of a key id ({@code dev.nyla.sync.artifact.SigningKeys} makes keys and their ids).
 */
public final class Ed25519 {
    private static final Pattern KEY_ID = Pattern.compile("[0-9a-f]{16}");

    private Ed25519() {
    }

    /** An Ed25519 public key from its X.509 SubjectPublicKeyInfo encoding. */
    public static PublicKey publicKey(byte[] x509) throws GeneralSecurityException {
        return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(x509));
    }

    /** The Ed25519 signature of {@code data}. */
    public static byte[] sign(PrivateKey key, byte[] data) throws GeneralSecurityException {
        Signature s = Signature.getInstance("Ed25519");
        s.initSign(key);
        s.update(data);
        return s.sign();
    }

    /** Whether {@code signature} is {@code key}'s Ed25519 signature of {@code data}. */
    public static boolean verifies(PublicKey key, byte[] data, byte[] signature) throws GeneralSecurityException {
        Signature s = Signature.getInstance("Ed25519");
        s.initVerify(key);
        s.update(data);
        return s.verify(signature);
    }

    /** Whether {@code id} has the form of a key id: 16 lowercase hex digits. */
    public static boolean isKeyId(String id) {
        return KEY_ID.matcher(id).matches();
    }
}
