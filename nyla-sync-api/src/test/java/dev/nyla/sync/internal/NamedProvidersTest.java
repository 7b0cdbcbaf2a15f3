package dev.nyla.sync.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

public class NamedProvidersTest {
    /** A service for this test; its providers count how often they are made. */
    public interface Named {
        String name();
    }

    static final AtomicInteger MADE = new AtomicInteger();

    public static class Alpha implements Named {
        public Alpha() {
            MADE.incrementAndGet();
        }

        @Override
        public String name() {
            return "alpha";
        }
    }

    public static class Beta implements Named {
        @Override
        public String name() {
            return "beta";
        }
    }

    public static class OtherBeta implements Named {
        @Override
        public String name() {
            return "beta";
        }
    }

    private final NamedProviders<Named> providers = new NamedProviders<>(Named.class, "name", "named thing",
            Named::name);

    @TempDir
    Path dir;

    @Test
    void providersAreLookedUpOncePerClassLoader() throws IOException {
        try (URLClassLoader loader = ServiceFiles.listing(dir, Named.class, Alpha.class)) {
            int before = MADE.get();
            Named first = providers.get("alpha", loader).orElseThrow();
            Named second = providers.get("alpha", loader).orElseThrow();
            providers.all(loader);
            assertSame(first, second);
            assertEquals(before + 1, MADE.get(), "one instance, made by the first lookup");
        }
    }

    @Test
    void aNameClaimedTwiceIsRefusedNamingBothProvidersAndWhatToDo() throws IOException {
        try (URLClassLoader loader = ServiceFiles.listing(dir, Named.class, Alpha.class, Beta.class,
                OtherBeta.class)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> providers.get("beta", loader));
            String m = e.getMessage();
            assertTrue(m.startsWith("2 named things on the class path claim the name 'beta': "), m);
            assertTrue(m.contains(Beta.class.getName() + " (from ") && m.contains(OtherBeta.class.getName() + " (from "),
                    m);
            assertTrue(m.contains("remove all but one of them from the class path"), m);
            assertTrue(m.contains("META-INF/services/" + Named.class.getName()), m);
            // The conflict is the name's: the other names are served.
            assertEquals("alpha", providers.get("alpha", loader).orElseThrow().name());
            assertEquals(List.of("alpha", "beta"), List.copyOf(providers.all(loader).keySet()));
        }
    }

    @Test
    void aNameNoProviderClaimsIsEmpty() throws IOException {
        try (URLClassLoader loader = ServiceFiles.listing(dir, Named.class, Alpha.class)) {
            assertEquals(Optional.empty(), providers.get("gamma", loader));
        }
    }
}
