package dev.nyla.sync.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nyla.sync.internal.ServiceFiles;
import java.io.IOException;
import java.net.URLClassLoader;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link NativePayloadFormat#forKind} finds formats through the context class loader, once, and never one of two. */
public class NativePayloadFormatLookupTest {
    /** A second format registering {@link TenantFilesFormat#KIND}, as a second jar on the class path would. */
    public static class OtherTenantFilesFormat extends ForwardingFormat {
    }

    /** Registers {@link TenantFilesFormat#KIND} by forwarding to one. */
    public static class ForwardingFormat implements NativePayloadFormat {
        private final TenantFilesFormat format = new TenantFilesFormat();

        @Override
        public String kind() {
            return format.kind();
        }

        @Override
        public NativePayloadBuilder begin(dev.nyla.sync.EmbeddingModel model, java.util.Optional<Base> base)
                throws IOException {
            return format.begin(model, base);
        }
    }

    @TempDir
    Path dir;

    @Test
    void aFormatIsLookedUpOncePerClassLoader() throws IOException {
        try (URLClassLoader loader = ServiceFiles.listing(dir, NativePayloadFormat.class, ForwardingFormat.class)) {
            NativePayloadFormat first = withContextLoader(loader, TenantFilesFormat.KIND);
            assertSame(first, withContextLoader(loader, TenantFilesFormat.KIND), "the same instance, kept");
            assertEquals(ForwardingFormat.class, first.getClass());
        }
    }

    @Test
    void aKindRegisteredTwiceIsRefusedNamingBothFormats() throws IOException {
        try (URLClassLoader loader = ServiceFiles.listing(dir, NativePayloadFormat.class, ForwardingFormat.class,
                OtherTenantFilesFormat.class)) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> withContextLoader(loader, TenantFilesFormat.KIND));
            String m = e.getMessage();
            assertTrue(m.startsWith("2 native payload formats on the class path claim the kind '"
                    + TenantFilesFormat.KIND + "': "), m);
            assertTrue(m.contains(ForwardingFormat.class.getName()) && m.contains(OtherTenantFilesFormat.class.getName()),
                    m);
        }
    }

    @Test
    void anUnknownKindNamesTheKindsFound() throws IOException {
        try (URLClassLoader loader = ServiceFiles.listing(dir, NativePayloadFormat.class, ForwardingFormat.class)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> withContextLoader(loader, "nope"));
            assertEquals("native payload kind: expected one of [" + TenantFilesFormat.KIND + "] (the formats of the "
                    + "store adapters on the class path) but was 'nope'", e.getMessage());
        }
    }

    private static NativePayloadFormat withContextLoader(ClassLoader loader, String kind) {
        Thread thread = Thread.currentThread();
        ClassLoader saved = thread.getContextClassLoader();
        thread.setContextClassLoader(loader);
        try {
            return NativePayloadFormat.forKind(kind);
        } finally {
            thread.setContextClassLoader(saved);
        }
    }
}
