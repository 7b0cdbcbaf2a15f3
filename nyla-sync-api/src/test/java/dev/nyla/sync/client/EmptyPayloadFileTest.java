package dev.nyla.sync.client;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.ContentHash;
import dev.nyla.sync.IntegrityException;
import dev.nyla.sync.LimitExceededException;
import dev.nyla.sync.MalformedArtifactException;
import dev.nyla.sync.artifact.ArtifactSource;
import dev.nyla.sync.artifact.DirectoryArtifactSource;
import dev.nyla.sync.artifact.HttpArtifactSource;
import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.artifact.internal.ManifestEdits;
import dev.nyla.sync.artifact.internal.ManifestSignature;
import dev.nyla.sync.nativepayload.StreamingCheck;
import dev.nyla.sync.store.Compression;
import dev.nyla.sync.store.PayloadFile;
import dev.nyla.sync.store.internal.FileVectorStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A payload file of 0 bytes, as a third-party or hostile publisher may list: downloaded and accepted when
 * its manifest entry says 0 bytes with the SHA-256 of nothing, refused with a typed exception naming the
 * file, the expected and the actual value otherwise, over a directory and over HTTP alike.
 */
class EmptyPayloadFileTest {
    private static final String EMPTY_SHA256 = ContentHash.sha256Hex(new byte[0]);
    private static final String EMPTY = "empty-" + EMPTY_SHA256 + ".bin";
    private static final String FIVE = "five.bin";

    @TempDir
    Path dir;
    private Path served;
    private final Closer closer = new Closer();
    private Downloads downloads;

    static List<String> sources() {
        return List.of("directory", "http");
    }

    @BeforeEach
    void setUp() throws IOException {
        served = Files.createDirectories(dir.resolve("host"));
        Files.write(served.resolve(EMPTY), new byte[0]);
        Files.write(served.resolve(FIVE), new byte[] {1, 2, 3, 4, 5});
        downloads = new Downloads(dir.resolve("downloads"));
    }

    @AfterEach
    void tearDown() throws Exception {
        closer.closeAll();
    }

    private ArtifactSource source(String kind) throws IOException {
        if (kind.equals("directory")) {
            return new DirectoryArtifactSource(served);
        }
        FaultyHost host = closer.later(new FaultyHost(served));
        return closer.later(HttpArtifactSource.builder(host.uri()).maxAttempts(2).initialBackoff(Duration.ofMillis(1))
                .maxBackoff(Duration.ofMillis(2)).build());
    }

    private static PayloadFile entry(String name, long size, String sha256) {
        return new PayloadFile(name, size, sha256, Compression.NONE, size);
    }

    private long leftovers() throws IOException {
        try (Stream<Path> files = Files.list(dir.resolve("downloads"))) {
            return files.count();
        }
    }

    @ParameterizedTest
    @MethodSource("sources")
    void anEmptyFileDeclaredEmptyIsDownloadedAndVerified(String kind) throws IOException {
        ArtifactSource source = source(kind);
        PayloadFile file = entry(EMPTY, 0, EMPTY_SHA256);
        long[] progress = {-1};

        Path done = downloads.fetch(source, file, bytes -> progress[0] = bytes);

        assertEquals(dir.resolve("downloads").resolve(EMPTY), done);
        assertEquals(0, Files.size(done));
        assertEquals(0, progress[0]);
        assertFalse(Files.exists(done.resolveSibling(EMPTY + ".part")));
        // Found again, as a verified download, by the next attempt and by an install that re-checks it.
        assertEquals(done, downloads.fetch(source, file, bytes -> { }));
        assertEquals(done, downloads.fetchVerified(source, file, () -> StreamingCheck.NONE, bytes -> { }));
    }

    @ParameterizedTest
    @MethodSource("sources")
    void anEmptyFileDeclaredWithAnotherHashIsRefusedNamingTheHash(String kind) throws IOException {
        ArtifactSource source = source(kind);
        String other = ContentHash.sha256Hex(new byte[] {0});
        IntegrityException e = assertThrows(IntegrityException.class,
                () -> downloads.fetch(source, entry(EMPTY, 0, other), bytes -> { }));
        assertTrue(e.getMessage().contains(EMPTY) && e.getMessage().contains("sha256")
                && e.getMessage().contains(other) && e.getMessage().contains(EMPTY_SHA256), e.getMessage());
        assertEquals(0, leftovers(), "nothing kept of a file that is not the signed one");
    }

    @ParameterizedTest
    @MethodSource("sources")
    void anEmptyFileDeclaredLongerIsRefusedNamingBothSizes(String kind) throws IOException {
        ArtifactSource source = source(kind);
        IntegrityException e = assertThrows(IntegrityException.class,
                () -> downloads.fetch(source, entry(EMPTY, 5, ContentHash.sha256Hex(new byte[5])), bytes -> { }));
        assertTrue(e.getMessage().contains(EMPTY) && e.getMessage().contains("5 bytes")
                && e.getMessage().contains("0 bytes"), e.getMessage());
    }

    @ParameterizedTest
    @MethodSource("sources")
    void aFileWithBytesDeclaredEmptyIsRefusedAtItsFirstByte(String kind) throws IOException {
        ArtifactSource source = source(kind);
        LimitExceededException e = assertThrows(LimitExceededException.class,
                () -> downloads.fetch(source, entry(FIVE, 0, EMPTY_SHA256), bytes -> { }));
        assertTrue(e.getMessage().contains(FIVE) && e.getMessage().contains("0 bytes"), e.getMessage());
        assertEquals(0, leftovers(), "nothing kept of a file that is not the signed one");
    }

    @Test
    void aSignedVersionWhoseRecordFilesAreEmptyIsRefusedByTheRecordFormatNotByAMissingPartFile() throws IOException {
        Releases releases = new Releases(dir);
        releases.publish(Releases.corpus(50, 1, 10, false));
        // A hostile publisher with the signing key lists empty files, hashed correctly, as the full payload.
        Path manifest = releases.host.resolve(Manifest.FILE_NAME);
        String json = Files.readString(manifest);
        for (int i = 0; i < 2; i++) {
            String name = "empty-" + i + ".nyr";
            Files.write(releases.host.resolve(name), new byte[0]);
            json = ManifestEdits.set(json, "/payload/files/" + i + "/name", name);
            json = ManifestEdits.set(json, "/payload/files/" + i + "/size", 0);
            json = ManifestEdits.set(json, "/payload/files/" + i + "/sha256", EMPTY_SHA256);
            json = ManifestEdits.set(json, "/payload/files/" + i + "/uncompressedSize", 0);
        }
        byte[] edited = json.getBytes(StandardCharsets.UTF_8);
        Files.write(releases.host.resolve(Manifest.SIGNATURE_FILE_NAME), ManifestSignature.sign(edited, Releases.KEYS));
        Files.write(manifest, edited);
        FileVectorStore store = closer.later(FileVectorStore.open(dir.resolve("store")));
        NylaSync sync = closer.later(NylaSync.builder().source(new DirectoryArtifactSource(releases.host))
                .store(store).publicKey(Releases.KEYS.getPublic()).queryEmbedder(Releases.EMBEDDER).build());

        SyncResult r = sync.checkNow();

        assertEquals(SyncResult.Outcome.FAILED, r.outcome(), r.steps().toString());
        MalformedArtifactException e = assertInstanceOf(MalformedArtifactException.class, r.failure().orElseThrow(),
                r.steps().toString());
        assertTrue(e.getMessage().contains("empty-"), e.getMessage());
        assertTrue(store.activeGeneration().isEmpty(), "nothing installed");
    }
}
