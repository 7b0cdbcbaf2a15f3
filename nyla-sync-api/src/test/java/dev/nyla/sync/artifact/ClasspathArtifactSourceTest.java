package dev.nyla.sync.artifact;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.ContentHash;
import dev.nyla.sync.IntegrityException;
import dev.nyla.sync.LimitExceededException;
import dev.nyla.sync.SourceRecord;
import dev.nyla.sync.UnsafeFileNameException;
import dev.nyla.sync.corpus.Corpus;
import dev.nyla.sync.demo.HashingEmbedder;
import dev.nyla.sync.internal.VerifyingInputStream;
import dev.nyla.sync.publish.Publisher;
import dev.nyla.sync.store.PayloadFile;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A baseline artifact read from the class path, as an application jar would bundle it. */
class ClasspathArtifactSourceTest {
    private static final KeyPair KEYS = SigningKeys.generate();

    @TempDir
    Path root;
    private Path artifact;
    private Manifest manifest;
    private URLClassLoader loader;
    private ClasspathArtifactSource source;

    @BeforeEach
    void publishOntoTheClassPath() throws IOException {
        List<SourceRecord> records = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            records.add(new SourceRecord("default", "doc-" + i, "text number " + i, Map.of("i", "" + i)));
        }
        artifact = root.resolve("nyla").resolve("baseline");
        manifest = Publisher.builder().signingKey(KEYS).embedder(new HashingEmbedder(32)).build()
                .publish(Corpus.of(records), artifact).manifest();
        // No parent: only the temp directory is on this class path.
        loader = new URLClassLoader(new URL[] {root.toUri().toURL()}, null);
        source = new ClasspathArtifactSource(loader, "/nyla/baseline/");
    }

    @AfterEach
    void closeLoader() throws IOException {
        loader.close();
    }

    private PayloadFile plain() {
        return manifest.payload().files().get(1);
    }

    @Test
    void describesItselfByTheNormalizedDirectory() {
        assertEquals("classpath:nyla/baseline", source.describe());
    }

    @Test
    void fetchesTheManifestWithItsSha256AsETagAndThenNotModified() throws IOException {
        byte[] bytes = Files.readAllBytes(artifact.resolve(Manifest.FILE_NAME));
        ManifestResponse.Fetched fetched = assertInstanceOf(ManifestResponse.Fetched.class,
                source.fetchManifest(ManifestRequest.unconditional()));
        assertArrayEquals(bytes, fetched.manifest());
        assertArrayEquals(Files.readAllBytes(artifact.resolve(Manifest.SIGNATURE_FILE_NAME)), fetched.signature());
        assertEquals('"' + HexFormat.of().formatHex(ContentHash.sha256().digest(bytes)) + '"', fetched.etag());

        assertInstanceOf(ManifestResponse.NotModified.class,
                source.fetchManifest(ManifestRequest.ifNoneMatch(fetched.etag())));
        assertInstanceOf(ManifestResponse.Fetched.class,
                source.fetchManifest(ManifestRequest.ifNoneMatch("\"something-else\"")));
    }

    @Test
    void aManifestAboveTheCapIsRefused() {
        LimitExceededException e = assertThrows(LimitExceededException.class,
                () -> source.fetchManifest(new ManifestRequest("", 10)));
        assertEquals("classpath:nyla/baseline/manifest.json", e.subject());
    }

    @Test
    void aMissingManifestSaysWhichResourceIsMissing() {
        ClasspathArtifactSource elsewhere = new ClasspathArtifactSource(loader, "nyla/other");
        FileNotFoundException e = assertThrows(FileNotFoundException.class,
                () -> elsewhere.fetchManifest(ManifestRequest.unconditional()));
        assertTrue(e.getMessage().contains("classpath:nyla/other/manifest.json"), e.getMessage());
        assertTrue(e.getMessage().contains("class path"), e.getMessage());
    }

    @Test
    void payloadFilesReadBackAndVerify() throws IOException {
        for (PayloadFile file : manifest.payload().files()) {
            try (VerifyingInputStream in = VerifyingInputStream.of(source.open(file.name(), 0), file.size(), file.sha256(),
                    file.name())) {
                in.drainAndVerify();
            }
        }
    }

    @Test
    void openSkipsExactlyToTheOffset() throws IOException {
        byte[] bytes = Files.readAllBytes(artifact.resolve(plain().name()));
        for (int offset : new int[] {1, 100, bytes.length - 1, bytes.length}) {
            try (InputStream in = source.open(plain().name(), offset)) {
                assertArrayEquals(Arrays.copyOfRange(bytes, offset, bytes.length), in.readAllBytes(), "at " + offset);
            }
        }
    }

    @Test
    void readsFromAJarAsAnApplicationWouldBundleIt() throws IOException {
        Path jar = root.resolve("app.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            // The version's files, as an application bundles them; the publisher's history/ is not for clients.
            try (DirectoryStream<Path> files = Files.newDirectoryStream(artifact, Files::isRegularFile)) {
                for (Path f : files) {
                    if (!Files.isRegularFile(f)) {
                        continue; // the publisher's history/, which an application does not bundle
                    }
                    out.putNextEntry(new JarEntry("nyla/baseline/" + f.getFileName()));
                    Files.copy(f, out);
                    out.closeEntry();
                }
            }
        }
        byte[] bytes = Files.readAllBytes(artifact.resolve(plain().name()));
        try (URLClassLoader jarLoader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
            ClasspathArtifactSource fromJar = new ClasspathArtifactSource(jarLoader, "nyla/baseline");
            assertInstanceOf(ManifestResponse.Fetched.class, fromJar.fetchManifest(ManifestRequest.unconditional()));
            try (InputStream in = fromJar.open(plain().name(), 1000)) {
                assertArrayEquals(Arrays.copyOfRange(bytes, 1000, bytes.length), in.readAllBytes());
            }
            assertThrows(IntegrityException.class, () -> fromJar.open(plain().name(), bytes.length + 1).close());
        }
    }

    @Test
    void anOffsetBeyondTheEndIsRefused() {
        IntegrityException e = assertThrows(IntegrityException.class,
                () -> source.open(plain().name(), plain().size() + 1));
        assertEquals("classpath:nyla/baseline/" + plain().name(), e.subject());
        assertTrue(e.expected().contains(String.valueOf(plain().size() + 1)), e.getMessage());
    }

    @Test
    void aMissingFileSaysWhichResourceIsMissing() {
        FileNotFoundException e = assertThrows(FileNotFoundException.class, () -> source.open("missing.bin", 0));
        assertTrue(e.getMessage().contains("classpath:nyla/baseline/missing.bin"), e.getMessage());
        assertTrue(e.getMessage().contains("class path"), e.getMessage());
    }

    @Test
    void hostileFileNamesAreRefused() throws IOException {
        // A resource one level up that a "../" name would reach if it were passed through.
        Files.writeString(root.resolve("nyla").resolve("secret.txt"), "secret");
        for (String name : List.of("../secret.txt", "/etc/passwd", "a/b", "..", "", "a\\b")) {
            assertThrows(UnsafeFileNameException.class, () -> source.open(name, 0), name);
        }
    }

    @Test
    void unsafeOrEmptyDirectoriesAreRefused() {
        for (String dir : List.of("", "/", "//", "../nyla", "nyla/../x", "nyla//baseline", "nyla\\baseline", ".x")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new ClasspathArtifactSource(loader, dir), dir);
            assertTrue(e.getMessage().startsWith("resourceDirectory"), e.getMessage());
        }
    }
}
