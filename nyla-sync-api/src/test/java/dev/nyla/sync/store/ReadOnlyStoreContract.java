package dev.nyla.sync.store;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.RecordKeys;
import dev.nyla.sync.Similarity;
import dev.nyla.sync.TestData;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.nativepayload.NativeFormatStore;
import dev.nyla.sync.store.internal.ReadOnlyVectorStore;
import dev.nyla.sync.store.internal.WriterLock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a store opened with {@link VectorStoreProvider#openReadOnly} must do, for adapters that keep their
 * files in a directory: serve the active generation beside a writer that holds the store, refuse writes,
 * and create, change and remove nothing. Each test runs a real writer of the same adapter.
 *
 * <p>Shipped in the API's test-jar, like {@link VectorStoreContract}.
 */
public abstract class ReadOnlyStoreContract {
    protected static final int DIM = 16;
    protected static final EmbeddingModel MODEL = TestData.model(DIM, Similarity.COSINE);

    @TempDir
    protected Path dir;

    /** Opens (creating) the store in {@code directory} for writing, as an application or sync would. */
    protected abstract VectorStore openWriter(Path directory) throws IOException;

    /** Opens the store in {@code directory} read-only through the adapter's own entry point. */
    protected abstract VectorStore openReadOnly(Path directory) throws IOException;

    /** The adapter's location for {@code directory}, such as {@code lucene:/tmp/x}. */
    protected abstract String location(Path directory);

    protected static Generation installAndActivate(VectorStore store, long version, List<VectorRecord> records)
            throws IOException {
        Generation g;
        try (GenerationWriter w = store.newGeneration(GenerationSpec.of(version, "v" + version, MODEL))) {
            for (VectorRecord r : records.stream()
                    .sorted((a, b) -> RecordKeys.compare(a.tenant(), a.id(), b.tenant(), b.id())).toList()) {
                w.add(r);
            }
            g = w.commit();
        }
        store.activate(g.id());
        return g;
    }

    protected static List<String> ids(List<SearchHit> hits) {
        return hits.stream().map(SearchHit::id).toList();
    }

    protected static final float[] QUERY = TestData.unitVector(new Random(7), DIM);

    @Test
    void readerServesTheActiveGenerationWhileTheWriterHoldsTheStore() throws IOException {
        try (VectorStore writer = openWriter(dir)) {
            Generation g = installAndActivate(writer, 1, TestData.records(MODEL, "t", 30, 1, Map.of()));
            try (VectorStore reader = VectorStores.openReadOnly(location(dir))) {
                assertInstanceOf(ReadOnlyVectorStore.class, reader);
                assertEquals(g.id(), reader.activeGeneration().orElseThrow().id());
                assertEquals(ids(writer.search(SearchRequest.of("t", QUERY, 5))),
                        ids(reader.search(SearchRequest.of("t", QUERY, 5))));
                assertEquals(30, reader.stats().records());
                assertEquals(30, reader.verifyActiveGeneration().records());
                try (Stream<String> tenants = reader.tenants()) {
                    assertEquals(List.of("t"), tenants.toList());
                }
                try (Stream<InventoryEntry> inventory = reader.inventory("t")) {
                    assertEquals(30, inventory.count());
                }
                assertEquals(writer.directory(), reader.directory());
            }
            // The writer still holds the store and still writes.
            installAndActivate(writer, 2, TestData.records(MODEL, "t", 3, 2, Map.of()));
        }
    }

    @Test
    void readerRefusesEveryWriteWithAReadOnlyStoreException() throws IOException {
        long active;
        try (VectorStore writer = openWriter(dir)) {
            installAndActivate(writer, 1, TestData.records(MODEL, "t", 5, 1, Map.of()));
            active = installAndActivate(writer, 2, TestData.records(MODEL, "t", 5, 2, Map.of())).id();
        }
        try (VectorStore reader = openReadOnly(dir)) {
            ReadOnlyStoreException e = assertThrows(ReadOnlyStoreException.class, reader::rollback);
            assertTrue(e.getMessage().contains(location(dir)) && e.getMessage().contains("roll back"), e.getMessage());
            assertThrows(ReadOnlyStoreException.class, () -> reader.newGeneration(GenerationSpec.of(3, "", MODEL)));
            assertThrows(ReadOnlyStoreException.class, () -> reader.newGeneration(GenerationSpec.of(3, "", MODEL), active));
            assertThrows(ReadOnlyStoreException.class, () -> reader.activate(active));
            assertThrows(ReadOnlyStoreException.class, () -> reader.deleteGeneration(active - 1));
            assertThrows(ReadOnlyStoreException.class,
                    () -> reader.upsert(TestData.records(MODEL, "t", 1, 3, Map.of())));
            assertThrows(ReadOnlyStoreException.class, () -> reader.delete("t", List.of("doc-00000")));
            assertFalse(reader instanceof NativeFormatStore, "installing is writing");
        }
        try (VectorStore writer = openWriter(dir)) {
            assertEquals(active, writer.activeGeneration().orElseThrow().id(), "nothing changed");
            assertEquals(2, writer.generations().size());
        }
    }

    @Test
    void readerCreatesChangesAndRemovesNothingInTheStoreDirectory() throws IOException {
        try (VectorStore writer = openWriter(dir)) {
            installAndActivate(writer, 1, TestData.records(MODEL, "t", 20, 1, Map.of()));
            installAndActivate(writer, 2, TestData.records(MODEL, "t", 20, 2, Map.of()));
        }
        // What a crashed install leaves behind: only the writer may clean it up, at its next open.
        Path leftover = dir.resolve("tmp").resolve("g-99");
        Files.createDirectories(leftover);
        Files.writeString(leftover.resolve("half-written"), "x");
        Map<String, String> before = snapshot(dir);
        try (VectorStore reader = openReadOnly(dir)) {
            reader.search(SearchRequest.of("t", QUERY, 5));
            reader.stats();
            reader.verifyActiveGeneration();
            reader.generations();
            try (Stream<InventoryEntry> inventory = reader.inventory("t")) {
                inventory.count();
            }
            assertThrows(ReadOnlyStoreException.class, reader::rollback);
        }
        assertEquals(before, snapshot(dir), "a read-only store must leave every file and directory as it was");
    }

    @Test
    void readerNeedsOnlyReadPermissionOnTheStore() throws IOException {
        try (VectorStore writer = openWriter(dir)) {
            installAndActivate(writer, 1, TestData.records(MODEL, "t", 10, 1, Map.of()));
        }
        List<Path> all;
        try (Stream<Path> walk = Files.walk(dir)) {
            all = walk.toList();
        }
        try {
            for (Path p : all) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "r-xr-xr-x" : "r--r--r--"));
            }
            // Root (and CAP_DAC_OVERRIDE) writes whatever the permissions say, so only another user can show
            // that read access is enough; readerCreatesChangesAndRemovesNothingInTheStoreDirectory covers root.
            assumeFalse(Files.isWritable(dir.resolve("CURRENT")),
                    "this JVM runs as root (or with CAP_DAC_OVERRIDE), which ignores file permissions");
            assertThrows(StoreAccessException.class, () -> VectorStores.open(location(dir)),
                    "a writer needs write access");
            try (VectorStore reader = VectorStores.openReadOnly(location(dir))) {
                assertEquals(5, reader.search(SearchRequest.of("t", QUERY, 5)).size());
                assertEquals(10, reader.verifyActiveGeneration().records());
            }
        } finally {
            for (Path p : all) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
        }
    }

    @Test
    void readerKeepsItsGenerationWhileTheWriterActivatesAnotherAndDeletesIt() throws IOException {
        try (VectorStore writer = openWriter(dir)) {
            Generation first = installAndActivate(writer, 1, TestData.records(MODEL, "t", 12, 1, Map.of("gen", "1")));
            try (VectorStore reader = openReadOnly(dir)) {
                installAndActivate(writer, 2, TestData.records(MODEL, "t", 4, 2, Map.of("gen", "2")));
                writer.deleteGeneration(first.id());
                assertFalse(writer.generations().stream().anyMatch(g -> g.id() == first.id()));
                // A point-in-time reader: the generation active when it opened, whole.
                List<SearchHit> hits = reader.search(SearchRequest.of("t", QUERY, 20));
                assertEquals(12, hits.size());
                assertTrue(hits.stream().allMatch(h -> h.metadata().get("gen").equals("1")));
            }
            try (VectorStore reader = openReadOnly(dir)) {
                assertEquals(4, reader.search(SearchRequest.of("t", QUERY, 20)).size(), "a new reader sees the new one");
            }
        }
    }

    @Test
    void readerOfAStoreWithNothingInstalledIsEmpty() throws IOException {
        openWriter(dir).close();
        try (VectorStore reader = openReadOnly(dir)) {
            assertTrue(reader.activeGeneration().isEmpty());
            assertEquals(List.of(), reader.search(SearchRequest.of("t", QUERY, 5)));
        }
    }

    @Test
    void readerOfAMissingDirectoryIsRefusedWithoutCreatingIt() {
        Path missing = dir.resolve("nowhere");
        StoreException e = assertThrows(StoreException.class, () -> VectorStores.openReadOnly(location(missing)));
        assertTrue(e.getMessage().contains(missing.toString()) && e.getMessage().contains("missing"), e.getMessage());
        assertFalse(Files.exists(missing));
    }

    @Test
    @SuppressWarnings("try") // the writer holds the lock for the block, never referenced in it
    void aSecondWriterIsRefusedWithAStoreLockedException() throws IOException {
        try (VectorStore writer = openWriter(dir)) {
            StoreLockedException e = assertThrows(StoreLockedException.class, () -> VectorStores.open(location(dir)));
            assertTrue(e.getMessage().contains(dir.resolve(WriterLock.FILE_NAME).toString()), e.getMessage());
            assertTrue(e.getMessage().contains("openReadOnly"), e.getMessage());
            // What a writer in another process reads there to say who holds the store.
            assertTrue(Files.readString(dir.resolve(WriterLock.FILE_NAME))
                    .startsWith("pid " + ProcessHandle.current().pid() + " ("), "the holder names itself");
        }
    }

    /** Every file and directory under {@code root}, with its size and last-modified time. */
    protected static Map<String, String> snapshot(Path root) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
                // The file key (device and inode) changes when a file is replaced by a rename.
                out.put(root.relativize(p).toString(), (a.isDirectory() ? "dir " : a.size() + " bytes ")
                        + a.lastModifiedTime().toInstant() + " " + a.fileKey());
            }
        }
        return out;
    }
}
