package dev.nyla.sync.artifact.internal;

import dev.nyla.sync.ArtifactException;
import dev.nyla.sync.IntegrityException;
import dev.nyla.sync.LimitExceededException;
import dev.nyla.sync.MalformedArtifactException;
import dev.nyla.sync.VectorEncoding;
import dev.nyla.sync.artifact.ArtifactSource;
import dev.nyla.sync.artifact.BadSignatureException;
import dev.nyla.sync.artifact.KeyDocument;
import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.artifact.ManifestRequest;
import dev.nyla.sync.artifact.ManifestResponse;
import dev.nyla.sync.artifact.TrustRoot;
import dev.nyla.sync.internal.BoundedInputStream;
import dev.nyla.sync.internal.FileNames;
import dev.nyla.sync.internal.RecordFileReader;
import dev.nyla.sync.internal.VerifyingInputStream;
import dev.nyla.sync.store.Compression;
import dev.nyla.sync.store.PayloadFile;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.security.PublicKey;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.zip.GZIPInputStream;

/**
 * Reading artifacts safely: the manifest only after its signature, payload files only through size,
 * hash and decompression checks.
 */
public final class Artifacts {
    private Artifacts() {
    }

    /**
     * Verifies the signature over the exact manifest bytes, and only then parses them.
     *
     * @param source what the manifest is, for messages
     * @throws BadSignatureException when no trusted key signed these bytes
     * @throws ArtifactException     when the signed manifest is malformed or of an unknown format
     */
    public static Manifest verifyManifest(byte[] manifest, byte[] signature, Collection<PublicKey> trustedKeys,
                                          String source) throws ArtifactException {
        ManifestSignature.verify(manifest, signature, trustedKeys, source);
        return ManifestCodec.read(manifest, source);
    }

    /**
     * Verifies the signature over the exact manifest bytes with the keys of {@code trust}, and only then parses
     * them. A signature by a key that a key document revoked is refused as such.
     *
     * @param source what the manifest is, for messages
     * @throws BadSignatureException when no key of {@code trust} signed these bytes
     * @throws ArtifactException     when the signed manifest is malformed or of an unknown format
     */
    public static Manifest verifyManifest(byte[] manifest, byte[] signature, TrustRoot trust, String source)
            throws ArtifactException {
        ManifestSignature.verify(manifest, signature, trust, source);
        return ManifestCodec.read(manifest, source);
    }

    /** Fetches the manifest from {@code source} unconditionally and verifies it. */
    public static Manifest fetchVerifiedManifest(ArtifactSource source, Collection<PublicKey> trustedKeys)
            throws IOException {
        ManifestResponse response = source.fetchManifest(ManifestRequest.unconditional());
        if (!(response instanceof ManifestResponse.Fetched fetched)) {
            throw new ArtifactException(source.describe(), "answer to an unconditional manifest request", "the manifest",
                    "'not modified'");
        }
        return verifyManifest(fetched.manifest(), fetched.signature(), trustedKeys,
                source.describe(Manifest.FILE_NAME));
    }

    /**
     * Fetches key document {@code version} ({@code keys-<version>.json}) and its signature file, each capped at
     * {@link KeyDocument#MAX_BYTES}, unverified (see {@link RootRotation#next}). Empty when the source has no such
     * document, or has it without its signature file yet: a site is written signature first, but a host being
     * uploaded to may show the document first, and that is a rotation not yet complete, not an attack.
     *
     * @throws LimitExceededException when a file is over the cap
     */
    public static Optional<KeyDocumentFiles> fetchKeyDocument(ArtifactSource source, long version) throws IOException {
        Optional<byte[]> document = fetchIfPresent(source, KeyDocument.fileName(version));
        if (document.isEmpty()) {
            return Optional.empty();
        }
        return fetchIfPresent(source, KeyDocument.signatureFileName(version))
                .map(signatures -> new KeyDocumentFiles(document.get(), signatures));
    }

    private static Optional<byte[]> fetchIfPresent(ArtifactSource source, String name) throws IOException {
        InputStream in;
        try {
            in = source.open(name, 0);
        } catch (FileNotFoundException | NoSuchFileException e) {
            return Optional.empty();
        }
        return Optional.of(BoundedInputStream.readAll(in, KeyDocument.MAX_BYTES, source.describe(name)));
    }

    /**
     * The encoding a client should download first among alternatives: gzip when offered (smaller on the
     * wire), else the first.
     */
    public static PayloadFile preferredEncoding(List<PayloadFile> alternatives) {
        for (PayloadFile f : alternatives) {
            if (f.compression() == Compression.GZIP) {
                return f;
            }
        }
        return alternatives.get(0);
    }

    /**
     * Reads a file of an artifact to its end through the size and SHA-256 checks, for files that are used
     * as they are stored (store-native payload parts) rather than streamed through a reader.
     *
     * @throws IntegrityException     when the file's size or SHA-256 is not the declared one, naming both
     * @throws LimitExceededException when the file is longer than declared
     */
    public static void verifyFile(ArtifactSource source, PayloadFile file) throws IOException {
        String name = source.describe(file.name());
        try (VerifyingInputStream in = VerifyingInputStream.of(source.open(FileNames.requireSafe(file.name(), name), 0),
                file.size(), file.sha256(), name)) {
            in.drainAndVerify();
        }
    }

    /**
     * Opens a record file of an artifact for streaming, with every check in place: the stored bytes are
     * capped at the declared size and their SHA-256 is checked at the end; gzip is decompressed with the
     * output capped at the declared uncompressed size; the record file's own checks run as it is read.
     * Once {@link RecordFileReader#next()} returns empty, all checks have passed.
     *
     * @param dimension the model dimension the records must have ({@code model.dimension} of the manifest)
     * @param encoding  the vector encoding the file must have ({@link Manifest#vectorEncoding()})
     */
    public static RecordFileReader openRecordFile(ArtifactSource source, PayloadFile file, int dimension,
                                                  VectorEncoding encoding) throws IOException {
        String name = source.describe(file.name());
        InputStream raw = source.open(FileNames.requireSafe(file.name(), name), 0);
        VerifyingInputStream verified = VerifyingInputStream.of(raw, file.size(), file.sha256(), name);
        InputStream content;
        try {
            content = switch (file.compression()) {
                case NONE -> verified;
                // The GZIPInputStream constructor already reads the gzip header.
                case GZIP -> new BoundedInputStream(new GunzipErrors(new GZIPInputStream(verified, 64 << 10), name),
                        file.uncompressedSize(), name, "decompressed size");
            };
        } catch (java.util.zip.ZipException | java.io.EOFException e) {
            MalformedArtifactException malformed = new MalformedArtifactException(name, "gzip header", "valid gzip data",
                    "corrupt or truncated data (" + e.getMessage() + ")");
            try {
                throwIfCorrupt(verified, malformed);
            } finally {
                verified.close();
            }
            throw malformed;
        } catch (IOException | RuntimeException e) {
            verified.close();
            throw e;
        }
        // The manifest's SHA-256 covers every stored byte (and so, through gzip, every content byte): the
        // record file's own trailer hash would be a second pass over the same bytes, and is skipped.
        return RecordFileReader.open(content, name, dimension, encoding, new RecordFileReader.EndCheck() {
            @Override
            public void atEnd(long total) throws IOException {
                if (total != file.uncompressedSize()) {
                    throw new IntegrityException(name, "uncompressed size", file.uncompressedSize() + " bytes",
                            total + " bytes");
                }
                // gzip may stop before the end of the stored bytes; the hash covers all of them.
                verified.drainAndVerify();
            }

            @Override
            public void onFailure(IOException failure) throws IOException {
                if (!(failure instanceof IntegrityException)) {
                    throwIfCorrupt(verified, failure);
                }
            }
        }, false);
    }

    /**
     * A format error in a file whose bytes are not the published ones is a corrupt or tampered download, and
     * should say so: hashes the rest of the stored bytes and throws the mismatch, with {@code failure}
     * suppressed, if there is one. Returns when the bytes are intact (the caller then throws {@code failure}).
     */
    private static void throwIfCorrupt(VerifyingInputStream verified, IOException failure) throws IOException {
        try {
            verified.drainAndVerify();
        } catch (IntegrityException corrupt) {
            corrupt.addSuppressed(failure);
            throw corrupt;
        } catch (IOException other) {
            failure.addSuppressed(other);
        }
    }

    /** Names the file in gzip's own errors, which otherwise say only "invalid stored block lengths" and the like. */
    private static final class GunzipErrors extends java.io.FilterInputStream {
        private final String name;

        GunzipErrors(InputStream in, String name) {
            super(in);
            this.name = name;
        }

        @Override
        public int read() throws IOException {
            try {
                return in.read();
            } catch (java.util.zip.ZipException | java.io.EOFException e) {
                throw corrupt(e);
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return in.read(b, off, len);
            } catch (java.util.zip.ZipException | java.io.EOFException e) {
                throw corrupt(e);
            }
        }

        private MalformedArtifactException corrupt(IOException e) {
            return new MalformedArtifactException(name, "gzip stream", "valid gzip data", "corrupt or truncated data ("
                    + e.getMessage() + ")");
        }
    }
}
