package dev.nyla.sync.store;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Path;
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
    void closedStoreRefusesWrites() throws IOException {
        store.close();
        assertThrows(StoreException.class, () -> store.newGeneration(GenerationSpec.of(1, "", MODEL)));
    }
}
