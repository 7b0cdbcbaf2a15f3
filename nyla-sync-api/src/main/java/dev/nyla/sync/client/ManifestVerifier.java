package dev.nyla.sync.client;

import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.artifact.ArtifactSource;
import dev.nyla.sync.artifact.internal.Artifacts;
import dev.nyla.sync.artifact.DowngradeException;
import dev.nyla.sync.artifact.ExpiredManifestException;
import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.artifact.ManifestResponse;
import dev.nyla.sync.artifact.ModelMismatchException;
import java.io.IOException;
import java.time.Instant;
import java.util.Optional;

/**
 * Decides whether a fetched manifest may be acted on, in TUF's order after the size cap (which the source
 * enforces): the site's key documents, the signature with the trusted keys, the version, the expiry, then
 * the model guard. The model is named in the signed manifest, so refusing it here saves the download and
 * changes nothing else. (Each file's size and SHA-256 are checked later, while it streams.)
 */
final class ManifestVerifier {
    /** The keys manifests must be signed with, kept current from the site's key documents. */
    private final KeyChain keys;
    private final boolean allowDowngrade;
    private final Optional<EmbeddingModel> expectedModel;

    ManifestVerifier(KeyChain keys, boolean allowDowngrade, Optional<EmbeddingModel> expectedModel) {
        this.keys = keys;
        this.allowDowngrade = allowDowngrade;
        this.expectedModel = expectedModel;
    }

    /**
     * The verified manifest. (The payload is records in every manifest; whether the store can read a native
     * payload is asked when planning the routes.)
     *
     * @param trustedVersion the version the client trusts now; a lower one is a downgrade
     * @param checkExpiry    false for a baseline bundled in the application, as old as the application: its
     *                       expiry is not held against it
     */
    Manifest verify(ArtifactSource source, ManifestResponse.Fetched fetched, String name, Instant now,
                    long trustedVersion, boolean checkExpiry) throws IOException {
        // The source's key documents first (TUF: the root before anything it signs).
        Manifest m = Artifacts.verifyManifest(fetched.manifest(), fetched.signature(), keys.update(source), name);
        if (m.version() < trustedVersion && !allowDowngrade) {
            throw new DowngradeException(name, "version", "at least the trusted version " + trustedVersion
                    + " (a downgrade needs allowDowngrade)", m.version());
        }
        if (checkExpiry && !now.isBefore(m.expiresAt())) {
            throw new ExpiredManifestException(name, "expiresAt", "a time after now (" + now + ")", m.expiresAt());
        }
        if (expectedModel.isPresent() && !expectedModel.get().isCompatibleWith(m.model())) {
            throw new ModelMismatchException(name, "embedding model", describe(expectedModel.get())
                    + " (the client's query embedder)", describe(m.model()));
        }
        return m;
    }

    private static String describe(EmbeddingModel m) {
        return m.id() + " (" + m.dimension() + " dims, " + m.similarity().wireName() + ", fingerprint "
                + m.fingerprint() + ")";
    }
}
