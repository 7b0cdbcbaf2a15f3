package dev.nyla.sync.spring;

import dev.nyla.sync.artifact.SigningKeys;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.PublicKey;
import org.springframework.core.io.Resource;
import org.springframework.core.io.ResourceLoader;

/**
 * Reads one entry of {@code nyla.sync.public-key}: the PEM text itself, a {@code classpath:} (or other Spring
 * resource URL) key bundled with the application, or a path to a {@code .pub} file.
 */
final class PinnedKeys {
    private static final String PEM_START = "-----BEGIN";
    /** Far more than a PEM public key; a resource this long is not one. */
    private static final int MAX_RESOURCE_BYTES = 16 * 1024;

    private PinnedKeys() {
    }

    /**
     * @param origin the property and index the entry came from, such as {@code nyla.sync.public-key[0]}
     * @throws IOException naming {@code origin} and the file or resource when it cannot be read or holds no
     *                     Ed25519 public key
     */
    static PublicKey read(String entry, String origin, ResourceLoader resources) throws IOException {
        String value = entry.strip();
        if (value.startsWith(PEM_START)) {
            return SigningKeys.parsePublicKey(value, origin);
        }
        if (value.startsWith(ArtifactSources.CLASSPATH) || value.startsWith("file:")) {
            Resource r = resources.getResource(value);
            try (InputStream in = r.getInputStream()) {
                byte[] pem = in.readNBytes(MAX_RESOURCE_BYTES + 1);
                return SigningKeys.parsePublicKey(new String(pem, StandardCharsets.ISO_8859_1), value);
            }
        }
        return SigningKeys.readPublicKey(Path.of(value));
    }
}
