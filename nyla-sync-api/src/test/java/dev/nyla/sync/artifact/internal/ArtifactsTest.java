package dev.nyla.sync.artifact.internal;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.IntegrityException;
import dev.nyla.sync.LimitExceededException;
import dev.nyla.sync.MalformedArtifactException;
import dev.nyla.sync.SourceRecord;
import dev.nyla.sync.UnsafeFileNameException;
import dev.nyla.sync.artifact.BadSignatureException;
import dev.nyla.sync.artifact.DirectoryArtifactSource;
import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.artifact.ManifestRequest;
import dev.nyla.sync.artifact.ManifestResponse;
import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.corpus.Corpus;
import dev.nyla.sync.demo.HashingEmbedder;
import dev.nyla.sync.internal.RecordEntry;
import dev.nyla.sync.internal.RecordFileReader;
import dev.nyla.sync.internal.VerifyingInputStream;
import dev.nyla.sync.publish.PublishResult;
import dev.nyla.sync.publish.Publisher;
import dev.nyla.sync.store.Compression;
import dev.nyla.sync.store.PayloadFile;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading a published artifact back through every check, and what each kind of tampering gives. */
class ArtifactsTest {
    private static final KeyPair KEYS = SigningKeys.generate();

    @TempDir
    Path dir;
    private Manifest manifest;
    private DirectoryArtifactSource source;

    @BeforeEach
    void publish() throws IOException {
        List<SourceRecord> records = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            records.add(new SourceRecord("default", "doc-" + i, "text number " + i, Map.of("i", "" + i)));
        }
        PublishResult r = Publisher.builder().signingKey(KEYS).embedder(new HashingEmbedder(64)).build()
                .publish(Corpus.of(records), dir);
        manifest = r.manifest();
        source = new DirectoryArtifactSource(dir);
    }

    private long readAll(PayloadFile file) throws IOException {
        long n = 0;
        try (RecordFileReader r = Artifacts.openRecordFile(source, file, manifest.model().dimension(), manifest.vectorEncoding())) {
            for (Optional<RecordEntry> e; (e = r.next()).isPresent(); ) {
                n++;
            }
        }
        return n;
    }

    private PayloadFile gz() {
        return manifest.payload().files().get(0);
    }

    private PayloadFile plain() {
        return manifest.payload().files().get(1);
    }

    @Test
    void bothEncodingsReadBackCompletely() throws IOException {
        assertEquals(300, readAll(gz()));
        assertEquals(300, readAll(plain()));
        assertEquals(gz(), Artifacts.preferredEncoding(manifest.payload().files()));
    }

    @Test
    void aFlippedByteInTheGzipFileIsReportedAsCorruptWhateverItBreaksFirst() throws IOException {
        Path f = dir.resolve(gz().name());
        byte[] original = Files.readAllBytes(f);
        // Wherever the flip lands, it may first break gzip, the key order or a string; the diagnosis must
        // still be the hash mismatch, with the first symptom kept as suppressed.
        for (int at : new int[] {20, original.length / 3, original.length / 2, original.length - 20}) {
            byte[] bytes = original.clone();
            bytes[at] ^= 0x01;
            Files.write(f, bytes);
            IntegrityException e = assertThrows(IntegrityException.class, () -> readAll(gz()), "flip at " + at);
            assertTrue(e.getMessage().contains(gz().name()) && e.getMessage().contains("sha256"), e.getMessage());
        }
    }

    @Test
    void aFlippedByteInAVectorOfThePlainFileFailsTheSha256() throws IOException {
        Path f = dir.resolve(plain().name());
        byte[] bytes = Files.readAllBytes(f);
        bytes[bytes.length - 100] ^= 0x01; // inside the last record's vector: still a finite float
        Files.write(f, bytes);
        IntegrityException e = assertThrows(IntegrityException.class, () -> readAll(plain()));
        assertTrue(e.getMessage().contains(plain().name()), e.getMessage());
    }

    @Test
    void aFileLongerThanDeclaredIsRefused() throws IOException {
        Path f = dir.resolve(plain().name());
        Files.write(f, new byte[1 << 20], java.nio.file.StandardOpenOption.APPEND);
        // The record file ends at the declared size, so the reader's end check finds the extra bytes.
        LimitExceededException e = assertThrows(LimitExceededException.class, () -> readAll(plain()));
        assertTrue(e.getMessage().contains(plain().size() + " bytes as declared"), e.getMessage());
        // Read directly, the stream never hands out a byte beyond the declared size.
        try (InputStream in = VerifyingInputStream.of(source.open(plain().name(), 0), plain().size(), plain().sha256(),
                "direct")) {
            assertEquals(plain().size(), in.readNBytes((int) plain().size()).length);
            assertThrows(LimitExceededException.class, in::read, "asking for more than declared fails");
        }
    }

    @Test
    void skippedBytesAreHashedToo() throws IOException {
        try (VerifyingInputStream in = VerifyingInputStream.of(source.open(plain().name(), 0), plain().size(),
                plain().sha256(), "skip")) {
            assertEquals(plain().size(), in.skip(plain().size() + 10));
            assertEquals(-1, in.read(), "verified at the end");
            assertFalse(in.markSupported());
        }
        Path f = dir.resolve(plain().name());
        byte[] bytes = Files.readAllBytes(f);
        bytes[100] ^= 1;
        Files.write(f, bytes);
        try (VerifyingInputStream in = VerifyingInputStream.of(source.open(plain().name(), 0), plain().size(),
                plain().sha256(), "skip")) {
            in.skip(plain().size());
            assertThrows(IntegrityException.class, in::read, "a skipped corrupt byte is still caught");
        }
    }

    @Test
    void aSymbolicLinkInTheArtifactDirectoryIsNotFollowed() throws IOException {
        Path secret = Files.writeString(dir.getParent().resolve("outside.txt"), "secret");
        Files.createSymbolicLink(dir.resolve("link.nyr"), secret);
        assertThrows(FileNotFoundException.class, () -> source.open("link.nyr", 0));
    }

    @Test
    void aTruncatedFileIsRefused() throws IOException {
        Path f = dir.resolve(gz().name());
        byte[] bytes = Files.readAllBytes(f);
        Files.write(f, java.util.Arrays.copyOf(bytes, bytes.length - 10));
        IntegrityException e = assertThrows(IntegrityException.class, () -> readAll(gz()));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void aGzipFileCutInsideItsHeaderIsMalformedNotARawEof() throws IOException {
        Path f = dir.resolve(gz().name());
        byte[] five = java.util.Arrays.copyOf(Files.readAllBytes(f), 5);
        Files.write(f, five);
        // Size and hash match the five bytes (as a manifest signed with a stolen key could say): only gzip can object.
        String sha = java.util.HexFormat.of().formatHex(dev.nyla.sync.ContentHash.sha256().digest(five));
        PayloadFile declared = new PayloadFile(gz().name(), 5, sha, Compression.GZIP, gz().uncompressedSize());
        MalformedArtifactException e = assertThrows(MalformedArtifactException.class, () -> readAll(declared));
        assertTrue(e.getMessage().contains("gzip"), e.getMessage());
    }

    @Test
    void aDecompressionBombIsCutOffAtTheDeclaredSize() throws IOException {
        // A manifest (as an attacker with a stolen key could sign) that understates the uncompressed size.
        PayloadFile lying = new PayloadFile(gz().name(), gz().size(), gz().sha256(), Compression.GZIP, 1000);
        LimitExceededException e = assertThrows(LimitExceededException.class, () -> readAll(lying));
        assertTrue(e.getMessage().contains("decompressed size"), e.getMessage());
    }

    @Test
    void hostileNamesCannotLeaveTheArtifactDirectory() throws IOException {
        Files.writeString(dir.getParent().resolve("secret.txt"), "secret");
        for (String name : new String[] {"../secret.txt", "/etc/passwd", "sub/../../secret.txt", ".."}) {
            assertThrows(UnsafeFileNameException.class, () -> source.open(name, 0), name);
        }
        assertThrows(FileNotFoundException.class, () -> source.open("missing.nyr", 0));
    }

    @Test
    void openingAtAnOffsetResumes() throws IOException {
        byte[] whole = Files.readAllBytes(dir.resolve(plain().name()));
        try (InputStream in = source.open(plain().name(), 1000)) {
            assertArrayEquals(java.util.Arrays.copyOfRange(whole, 1000, whole.length), in.readAllBytes());
        }
        // The observer sees the earlier bytes and the rest, in order: a checksum of the whole file.
        java.util.zip.CRC32 seen = new java.util.zip.CRC32();
        try (InputStream rest = source.open(plain().name(), 1000);
             VerifyingInputStream v = VerifyingInputStream.resumeAfter(
                     new java.io.ByteArrayInputStream(whole, 0, 1000), rest, plain().size(), plain().sha256(),
                     "resumed", seen::update)) {
            v.drainAndVerify();
            assertEquals(plain().size(), v.count());
        }
        java.util.zip.CRC32 expected = new java.util.zip.CRC32();
        expected.update(whole);
        assertEquals(expected.getValue(), seen.getValue());
        // A corrupted first part is caught at the end, although only the rest was read from the source.
        byte[] badStart = java.util.Arrays.copyOf(whole, 1000);
        badStart[10] ^= 1;
        try (InputStream rest = source.open(plain().name(), 1000);
             VerifyingInputStream v = VerifyingInputStream.resumeAfter(
                     new java.io.ByteArrayInputStream(badStart), rest, plain().size(), plain().sha256(), "resumed",
                     VerifyingInputStream.Observer.NONE)) {
            assertThrows(IntegrityException.class, v::drainAndVerify);
        }
    }

    @Test
    void conditionalManifestFetchAnswersNotModifiedForTheSameEtag() throws IOException {
        ManifestResponse first = source.fetchManifest(ManifestRequest.unconditional());
        ManifestResponse.Fetched fetched = assertInstanceOf(ManifestResponse.Fetched.class, first);
        assertFalse(fetched.etag().isEmpty());
        assertInstanceOf(ManifestResponse.NotModified.class, source.fetchManifest(ManifestRequest.ifNoneMatch(fetched.etag())));
        assertInstanceOf(ManifestResponse.Fetched.class, source.fetchManifest(ManifestRequest.ifNoneMatch("\"other\"")));
    }

    @Test
    void anOversizedManifestIsRefusedUnparsed() throws IOException {
        LimitExceededException e = assertThrows(LimitExceededException.class,
                () -> source.fetchManifest(new ManifestRequest("", 100)));
        assertTrue(e.getMessage().contains("manifest.json"), e.getMessage());
    }

    @Test
    void aTamperedManifestFailsItsSignatureBeforeBeingParsed() throws IOException {
        Path m = dir.resolve(Manifest.FILE_NAME);
        ManifestEdits.set(m, "/rollout/percent", 99);
        assertThrows(BadSignatureException.class, () -> Artifacts.fetchVerifiedManifest(source, List.of(KEYS.getPublic())));
        Files.writeString(m, "{ not even json");
        assertThrows(BadSignatureException.class, () -> Artifacts.fetchVerifiedManifest(source, List.of(KEYS.getPublic())),
                "garbage is refused by the signature check, before any JSON parsing");
    }
}
