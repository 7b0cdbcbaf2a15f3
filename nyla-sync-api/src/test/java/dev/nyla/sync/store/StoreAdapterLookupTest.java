package dev.nyla.sync.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nyla.sync.internal.ServiceFiles;
import dev.nyla.sync.store.internal.MemoryVectorStore;
import java.io.IOException;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How {@link VectorStores} finds adapters: once per class loader, and never one of two claiming a scheme. */
public class StoreAdapterLookupTest {
    static final AtomicInteger MADE = new AtomicInteger();

    /** Serves {@code twin:} with memory stores, and counts how often it is made. */
    public static class TwinProvider implements VectorStoreProvider {
        public TwinProvider() {
            MADE.incrementAndGet();
        }

        @Override
        public VectorStore open(String location) {
            return new MemoryVectorStore();
        }

        @Override
        public String scheme() {
            return "twin";
        }

        @Override
        public String locationSyntax() {
            return "twin:";
        }
    }

    /** A second adapter claiming {@code twin:}, as a second jar on the class path would. */
    public static class OtherTwinProvider extends TwinProvider {
    }

    @TempDir
    Path dir;

    @Test
    void adaptersAreLookedUpOncePerClassLoader() throws IOException {
        try (URLClassLoader loader = ServiceFiles.listing(dir, VectorStoreProvider.class, TwinProvider.class)) {
            int before = MADE.get();
            try (VectorStore a = VectorStores.open("twin:", loader); VectorStore b = VectorStores.open("twin:", loader)) {
                assertEquals(a.location(), b.location());
            }
            assertEquals(before + 1, MADE.get(), "the adapter is made by the first open only");
        }
    }

    @Test
    void aSchemeClaimedByTwoAdaptersIsRefusedNamingBoth() throws IOException {
        try (URLClassLoader loader = ServiceFiles.listing(dir, VectorStoreProvider.class, TwinProvider.class,
                OtherTwinProvider.class)) {
            StoreException e = assertThrows(StoreException.class, () -> VectorStores.open("twin:", loader));
            String m = e.getMessage();
            assertTrue(m.startsWith("store location 'twin:': 2 store adapters on the class path claim the scheme "
                    + "'twin': "), m);
            assertTrue(m.contains(TwinProvider.class.getName()) && m.contains(OtherTwinProvider.class.getName()), m);
            assertTrue(m.contains("remove all but one of them"), m);
            assertThrows(StoreException.class, () -> VectorStores.openReadOnly("twin:", loader));
            // Only the scheme claimed twice is refused.
            try (VectorStore memory = VectorStores.open("memory:", loader)) {
                assertTrue(memory.location().startsWith("memory:"), memory.location());
            }
        }
    }

    @Test
    void aLocationNoAdapterServesIsNamedWithoutItsPassword() {
        // The JDBC adapter is not on this module's class path: the URL is refused, and must not print its secrets.
        for (String location : List.of("jdbc:postgresql://db:5432/app?user=app&password=hunter2&nyla.prefix=docs",
                "jdbc:postgresql://app:hunter2@db/app", "postgresql://app:hunter2@db/app",
                "db/app?password=hunter2")) {
            StoreException e = assertThrows(StoreException.class, () -> VectorStores.open(location));
            assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
            assertTrue(e.getMessage().contains("***") && e.getMessage().contains("app"), e.getMessage());
            e = assertThrows(StoreException.class, () -> VectorStores.openReadOnly(location));
            assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
        }
    }
}
