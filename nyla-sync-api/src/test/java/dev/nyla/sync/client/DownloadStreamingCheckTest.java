package dev.nyla.sync.client;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.ContentHash;
import dev.nyla.sync.IntegrityException;
import dev.nyla.sync.artifact.ArtifactSource;
import dev.nyla.sync.artifact.DirectoryArtifactSource;
import dev.nyla.sync.artifact.HttpArtifactSource;
import dev.nyla.sync.nativepayload.StreamingCheck;
import dev.nyla.sync.store.Compression;
import dev.nyla.sync.store.PayloadFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A store's {@link StreamingCheck} sees every byte of a downloaded file in the pass that hashes it, from a
 * local directory and over HTTP, resumed or not, and is completed only when that pass verified.
 */
class DownloadStreamingCheckTest {
    private static final int SIZE = 300_000;

    @TempDir
    Path dir;
    private Path served;
    private byte[] content;
    private PayloadFile file;
    private FaultyHost host;
    private final Closer closer = new Closer();
    private Downloads downloads;
    /** The CRC32 of each check completed, in order. */
    private final List<Long> completed = new ArrayList<>();
    private int checksMade;

    /** Computes the CRC32 of all it is shown, as a store's check would, and records it when completed. */
    private final class RecordingCheck implements StreamingCheck {
        private final CRC32 crc = new CRC32();

        @Override
        public void update(byte[] bytes, int offset, int length) {
            crc.update(bytes, offset, length);
        }

        @Override
        public void complete() {
            completed.add(crc.getValue());
        }
    }

    static List<String> sources() {
        return List.of("directory", "http");
    }

    @BeforeEach
    void setUp() throws IOException {
        served = Files.createDirectories(dir.resolve("host"));
        content = new byte[SIZE];
        new SplittableRandom(5).nextBytes(content);
        String sha = ContentHash.sha256Hex(content);
        file = new PayloadFile("lucene-" + sha + "-_0.vec", SIZE, sha, Compression.NONE, SIZE);
        Files.write(served.resolve(file.name()), content);
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
        host = closer.later(new FaultyHost(served));
        return closer.later(HttpArtifactSource.builder(host.uri()).maxAttempts(2).initialBackoff(Duration.ofMillis(1))
                .maxBackoff(Duration.ofMillis(2)).build());
    }

    private StreamingCheck newCheck() {
        checksMade++;
        return new RecordingCheck();
    }

    private static long crc(byte[] bytes) {
        CRC32 crc = new CRC32();
        crc.update(bytes);
        return crc.getValue();
    }

    @ParameterizedTest
    @MethodSource("sources")
    void aDownloadShowsTheCheckEveryByteAndCompletesIt(String kind) throws IOException {
        Path done = downloads.fetchVerified(source(kind), file, this::newCheck, bytes -> { });

        assertArrayEquals(content, Files.readAllBytes(done));
        assertEquals(List.of(crc(content)), completed);
    }

    @ParameterizedTest
    @MethodSource("sources")
    void aResumedDownloadShowsTheCheckTheBytesOnDiskFirst(String kind) throws IOException {
        ArtifactSource source = source(kind);
        int received = SIZE * 2 / 5;
        Files.write(dir.resolve("downloads").resolve(file.name() + ".part"), Arrays.copyOf(content, received));

        Path done = downloads.fetchVerified(source, file, this::newCheck, bytes -> { });

        assertArrayEquals(content, Files.readAllBytes(done));
        assertEquals(List.of(crc(content)), completed, "one pass: the bytes on disk, then the rest");
        if (host != null) {
            assertEquals("bytes=" + received + "-", host.requests.get(host.requests.size() - 1).range(),
                    "only the rest was asked for");
        }
    }

    @ParameterizedTest
    @MethodSource("sources")
    void anEarlierDownloadIsShownToANewCheckBeforeItIsReused(String kind) throws IOException {
        ArtifactSource source = source(kind);
        downloads.fetchVerified(source, file, this::newCheck, bytes -> { });
        int requests = host == null ? 0 : host.requests.size();

        downloads.fetchVerified(source, file, this::newCheck, bytes -> { });

        assertEquals(List.of(crc(content), crc(content)), completed);
        assertEquals(2, checksMade);
        if (host != null) {
            assertEquals(requests, host.requests.size(), "nothing fetched again");
        }
    }

    @ParameterizedTest
    @MethodSource("sources")
    void aPassThatFailsVerificationCompletesNoCheck(String kind) throws IOException {
        ArtifactSource source = source(kind);
        byte[] other = content.clone();
        other[SIZE / 2] ^= 1;
        Files.write(served.resolve(file.name()), other);

        IntegrityException e = assertThrows(IntegrityException.class,
                () -> downloads.fetchVerified(source, file, this::newCheck, bytes -> { }));

        assertTrue(e.getMessage().contains("sha256"), e.getMessage());
        assertEquals(List.of(), completed, "the store must not rely on bytes that failed verification");
        assertEquals(1, checksMade);
    }

    @ParameterizedTest
    @MethodSource("sources")
    void progressReportsEveryByteFetchedAlsoWhenVerificationFails(String kind) throws IOException {
        ArtifactSource source = source(kind);
        byte[] other = content.clone();
        other[SIZE / 2] ^= 1;
        Files.write(served.resolve(file.name()), other);
        List<Long> reports = new ArrayList<>();

        assertThrows(IntegrityException.class, () -> downloads.fetchVerified(source, file, this::newCheck, reports::add));

        assertEquals(List.of(0L, (long) SIZE), reports, "the start, then the end of the failed stream (one report "
                + "step is larger than the file)");
        assertEquals(SIZE, downloads.takeFetchedBytes());
    }
}
