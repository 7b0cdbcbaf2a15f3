package dev.nyla.sync.store;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.ContentHash;
import dev.nyla.sync.IntegrityException;
import dev.nyla.sync.TestData;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.store.internal.FileVectorStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The file store against the contract, plus what only a store on disk can get wrong. */
class FileVectorStoreTest extends VectorStoreContract {

    @Override
    protected VectorStore openStore(Path directory) throws IOException {
        return FileVectorStore.open(directory);
    }

    @Test
    void fileLocationOpensAFileStoreThroughTheServiceLoader() throws IOException {
        store.close();
        try (VectorStore s = VectorStores.open("file:" + dir)) {
            assertInstanceOf(FileVectorStore.class, s);
            assertEquals(dir.toAbsolutePath().normalize(), s.directory().orElseThrow());
        }
    }

    @Test
    void secondOpenOfTheSameDirectoryIsRefusedWhileTheFirstIsOpen() {
        StoreException e = assertThrows(StoreException.class, () -> FileVectorStore.open(dir));
        assertTrue(e.getMessage().contains("LOCK"), e.getMessage());
    }

    @Test
    void leftoversOfAnInterruptedInstallAreRemovedAtOpen() throws IOException {
        Generation g = installAndActivate(1, TestData.records(MODEL, "t", 3, 1, Map.of()));
        store.close();
        Path leftover = dir.resolve("tmp").resolve("g-99");
        Files.createDirectories(leftover);
        Files.writeString(leftover.resolve("records.nyr"), "half written");
        store = openStore(dir);
        assertFalse(Files.exists(leftover));
        assertEquals(g.id(), store.activeGeneration().orElseThrow().id());
        // A generation id is never reused, even one whose install a crash cut short.
        assertTrue(install(MODEL, 2, List.of()).id() > g.id());
    }

    @Test
    void damagedActiveGenerationIsReportedAtOpenNamingTheFile() throws IOException {
        Generation g = installAndActivate(1, TestData.records(MODEL, "t", 50, 1, Map.of()));
        store.close();
        Path records = dir.resolve("generations").resolve("g-" + g.id()).resolve("records.nyr");
        byte[] bytes = Files.readAllBytes(records);
        bytes[bytes.length / 2] ^= 0x40;
        Files.write(records, bytes);
        StoreException e = assertThrows(StoreException.class, () -> FileVectorStore.open(dir));
        assertTrue(e.getMessage().contains("records.nyr"), e.getMessage());
        store = null;
    }

    @Test
    void verifyReReadsTheFileAndNamesItWhenAByteWasFlippedSinceOpening() throws IOException {
        Generation g = installAndActivate(1, TestData.records(MODEL, "t", 50, 1, Map.of()));
        assertEquals(50, store.verifyActiveGeneration().records());
        Path records = recordsFile(g);
        byte[] bytes = Files.readAllBytes(records);
        bytes[bytes.length / 2] ^= 0x40;
        Files.write(records, bytes);
        IntegrityException e = assertThrows(IntegrityException.class, store::verifyActiveGeneration);
        assertTrue(e.getMessage().contains(records.toString()), e.getMessage());
    }

    @Test
    void verifyNamesTheRecordWhoseTextNoLongerMatchesItsContentHash() throws IOException {
        List<VectorRecord> written = TestData.records(MODEL, "t", 50, 1, Map.of());
        Generation g = installAndActivate(1, written);
        Path records = recordsFile(g);
        byte[] bytes = Files.readAllBytes(records);
        byte[] text = "text of doc-00025".getBytes(StandardCharsets.UTF_8);
        int at = indexOf(bytes, text);
        bytes[at] = 'T';
        Files.write(records, bytes);
        IntegrityException e = assertThrows(IntegrityException.class, store::verifyActiveGeneration);
        assertTrue(e.subject().contains(records.toString()) && e.subject().contains("t/doc-00025"), e.getMessage());
        assertEquals(written.get(25).contentHash(), e.expected());
        assertEquals(ContentHash.of("Text of doc-00025", Map.of(), MODEL.fingerprint()), e.actual());
    }

    private Path recordsFile(Generation g) {
        return dir.resolve("generations").resolve("g-" + g.id()).resolve("records.nyr");
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
                return i;
            }
        }
        throw new AssertionError("not in the file: " + new String(needle, StandardCharsets.UTF_8));
    }

    @Test
    void generationIdsAreNeverReusedEvenAfterTheNewestWasDeletedAndTheStoreReopened() throws IOException {
        Generation a = installAndActivate(1, TestData.records(MODEL, "t", 3, 1, Map.of()));
        Generation b = install(MODEL, 2, List.of());
        store.deleteGeneration(b.id());
        store.close();
        store = openStore(dir);
        assertTrue(install(MODEL, 3, List.of()).id() > b.id());
        assertEquals(a.id(), store.activeGeneration().orElseThrow().id());
    }
}
