package dev.nyla.sync.client;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.ContentHash;
import dev.nyla.sync.artifact.DirectoryArtifactSource;
import dev.nyla.sync.internal.Writeback;
import dev.nyla.sync.store.Compression;
import dev.nyla.sync.store.PayloadFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A download larger than {@link Writeback#DEFAULT_STEP} is written back to the disk while it arrives, and the
 * file it leaves is byte for byte the published one.
 */
class DownloadWritebackTest {
    @TempDir
    Path dir;

    @Test
    void aLargeDownloadIsForcedWhileItArrives() throws IOException {
        int size = (int) (2 * Writeback.DEFAULT_STEP + 4321);
        byte[] content = new byte[size];
        new SplittableRandom(11).nextBytes(content);
        String sha = ContentHash.sha256Hex(content);
        Path host = Files.createDirectories(dir.resolve("host"));
        PayloadFile file = new PayloadFile("records-" + sha + ".nyr", size, sha, Compression.NONE, size);
        Files.write(host.resolve(file.name()), content);

        long before = Writeback.startedInJvm();
        Path done = new Downloads(dir.resolve("downloads")).fetch(new DirectoryArtifactSource(host), file, b -> {
        });

        assertTrue(Writeback.startedInJvm() > before, "no background force started during a "
                + size + "-byte download");
        assertArrayEquals(content, Files.readAllBytes(done));
    }
}
