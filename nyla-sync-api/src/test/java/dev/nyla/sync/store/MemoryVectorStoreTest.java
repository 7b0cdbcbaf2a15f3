package dev.nyla.sync.store;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.IntegrityException;
import dev.nyla.sync.TestData;
import dev.nyla.sync.store.internal.MemoryVectorStore;
import dev.nyla.sync.store.internal.ReadOnlyVectorStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The reference store against the contract, plus its discovery by location. */
class MemoryVectorStoreTest extends VectorStoreContract {

    @Override
    protected VectorStore openStore(Path directory) {
        return new MemoryVectorStore();
    }

    @Override
    protected boolean isDurable() {
        return false;
    }

    @Test
    void readOnlyOpenOfAProviderWithoutItsOwnIsAViewOfItsStoreThatRefusesWrites() throws IOException {
        // memory: keeps the SPI's default openReadOnly: the store as open makes it, behind a read-only view.
        try (VectorStore s = VectorStores.openReadOnly("memory:ro")) {
            assertInstanceOf(ReadOnlyVectorStore.class, s);
            assertEquals("memory:ro", s.location());
            assertTrue(s.activeGeneration().isEmpty());
            ReadOnlyStoreException e = assertThrows(ReadOnlyStoreException.class,
                    () -> s.newGeneration(GenerationSpec.of(1, "", MODEL)));
            assertTrue(e.getMessage().startsWith("memory:ro is open read-only: cannot write a new generation"),
                    e.getMessage());
        }
    }

    @Test
    void memoryLocationOpensAMemoryStoreThroughTheServiceLoader() throws IOException {
        try (VectorStore s = VectorStores.open("memory:test")) {
            assertInstanceOf(MemoryVectorStore.class, s);
            assertEquals("memory:test", s.location());
        }
        assertTrue(VectorStores.availableSchemes().containsKey("memory"));
    }

    @Test
    void unknownSchemeNamesTheSchemeAndTheAvailableOnes() {
        StoreException e = assertThrows(StoreException.class, () -> VectorStores.open("nosuch:/x"));
        assertTrue(e.getMessage().contains("'nosuch'"), e.getMessage());
        assertTrue(e.getMessage().contains("memory:"), e.getMessage());
        StoreException noScheme = assertThrows(StoreException.class, () -> VectorStores.open("/just/a/path"));
        assertTrue(noScheme.getMessage().contains("<scheme>:<where>"), noScheme.getMessage());
    }

    @Test
    void verifyingAStoreWithoutChecksumsListsEveryRecordAndSaysNothingWasReHashed() throws IOException {
        Generation g = installAndActivate(1, TestData.records(MODEL, "a", 7, 1, Map.of()));
        store.upsert(TestData.records(MODEL, "b", 3, 2, Map.of()));
        IntegrityReport report = store.verifyActiveGeneration();
        assertEquals(new IntegrityReport(g.id(), 10, "10 records listed; MemoryVectorStore keeps no checksums to re-hash"),
                report);
    }

    @Test
    void verifyingAStoreWithoutChecksumsNamesARecordOfAnotherModel() throws IOException {
        Generation g = installAndActivate(1, TestData.records(MODEL, "a", 7, 1, Map.of()));
        VectorStore drifted = new ForwardingVectorStore(store) {
            @Override
            public Stream<InventoryEntry> inventory(String tenant) throws IOException {
                return delegate.inventory(tenant).map(e -> e.id().equals("doc-00004")
                        ? new InventoryEntry(e.id(), e.contentHash(), "another-model") : e);
            }
        };
        IntegrityException e = assertThrows(IntegrityException.class, drifted::verifyActiveGeneration);
        assertEquals("memory: generation " + g.id() + " record a/doc-00004", e.subject());
        assertEquals(MODEL.fingerprint(), e.expected());
        assertEquals("another-model", e.actual());
    }

    @Test
    void closedStoreRefusesWrites() throws IOException {
        store.close();
        assertThrows(StoreException.class, () -> store.newGeneration(GenerationSpec.of(1, "", MODEL)));
    }
}
