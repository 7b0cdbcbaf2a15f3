package dev.nyla.sync.lucene;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.TestData;
import dev.nyla.sync.IntegrityException;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.IntegrityReport;
import dev.nyla.sync.store.StoreException;
import dev.nyla.sync.store.VectorStore;
import dev.nyla.sync.store.VectorStoreContract;
import dev.nyla.sync.store.VectorStores;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The Lucene store against the contract, plus what only a Lucene store on disk can get wrong. */
class LuceneVectorStoreTest extends VectorStoreContract {

    @Override
    protected VectorStore openStore(Path directory) throws IOException {
        // Exact search only below 10 records: the contract's searches walk the HNSW graph.
        return LuceneVectorStore.open(directory, LuceneOptions.DEFAULTS.withExactSearchThreshold(10));
    }

    @Test
    void luceneLocationOpensALuceneStoreThroughTheServiceLoaderWithItsOptions() throws IOException {
        store.close();
        try (VectorStore s = VectorStores.open("lucene:" + dir + "?quantization=int7&maxConn=8")) {
            LuceneVectorStore lucene = assertInstanceOf(LuceneVectorStore.class, s);
            assertEquals(Quantization.INT7, lucene.options().quantization());
            assertEquals(8, lucene.options().maxConn());
            assertEquals(dir.toAbsolutePath().normalize(), s.directory().orElseThrow());
        }
        StoreException e = assertThrows(StoreException.class, () -> VectorStores.open("lucene:" + dir + "?quantisation=int7"));
        assertTrue(e.getMessage().contains("quantisation"), e.getMessage());
    }

    @Test
    void secondOpenOfTheSameDirectoryIsRefusedWhileTheFirstIsOpen() {
        StoreException e = assertThrows(StoreException.class, () -> LuceneVectorStore.open(dir));
        assertTrue(e.getMessage().contains("LOCK"), e.getMessage());
    }

    @Test
    void leftoversOfAnInterruptedInstallAreRemovedAtOpen() throws IOException {
        Generation g = installAndActivate(1, TestData.records(MODEL, "t", 3, 1, Map.of()));
        store.close();
        Path leftover = dir.resolve("tmp").resolve("g-99").resolve("index");
        Files.createDirectories(leftover);
        Files.writeString(leftover.resolve("_0.cfs"), "half written");
        store = openStore(dir);
        assertFalse(Files.exists(leftover));
        assertEquals(g.id(), store.activeGeneration().orElseThrow().id());
        assertTrue(install(MODEL, 2, List.of()).id() > g.id());
    }

    @Test
    void generationRecordsTheLuceneVersionAndCodecAndVerifiesItsFiles() throws IOException {
        Generation g = installAndActivate(1, TestData.records(MODEL, "t", 30, 1, Map.of()));
        LuceneVectorStore lucene = (LuceneVectorStore) store;
        assertEquals(org.apache.lucene.util.Version.LATEST + " Lucene104", lucene.luceneFormat(g.id()).orElseThrow());
        assertEquals(new IntegrityReport(g.id(), 30, "1 segment: every file's Lucene checksum matches"),
                lucene.verifyActiveGeneration(), "one merged segment checked");
    }

    @Test
    void verifyFindsAByteFlippedInASegmentDataFileAndNamesTheGeneration() throws IOException {
        Generation g = installAndActivate(1, TestData.records(MODEL, "t", 3_000, 1, Map.of()));
        assertEquals(3_000, store.verifyActiveGeneration().records());
        store.close();
        // The middle of the largest file is data (vectors, graph or stored text), which opening does not read.
        Path index = dir.resolve("generations").resolve("g-" + g.id()).resolve("index");
        Path largest;
        try (Stream<Path> files = Files.list(index)) {
            largest = files.max(Comparator.comparingLong(LuceneVectorStoreTest::size)).orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(largest);
        bytes[bytes.length / 2] ^= 0x01;
        Files.write(largest, bytes);
        store = openStore(dir);
        IntegrityException e = assertThrows(IntegrityException.class, store::verifyActiveGeneration);
        assertTrue(e.subject().startsWith(store.location() + " generation " + g.id() + " segment _"), e.getMessage());
        assertTrue(e.getMessage().contains(largest.getFileName().toString()), "names the damaged file: " + e.getMessage());
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
