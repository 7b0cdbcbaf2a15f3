package dev.nyla.sync;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor.Exports;
import java.lang.module.ModuleDescriptor.Provides;
import java.lang.module.ModuleDescriptor.Requires;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The api's module descriptor as built (read from where its classes were loaded: {@code target/classes} or the
 * jar): exactly these packages exported to everyone, the internal ones only to the project's own modules, and
 * the services it uses and provides. A package added to the module fails this test until it is deliberately
 * exported or kept internal here and in {@code module-info.java}.
 */
class ModuleDescriptorTest {
    private static final Set<String> EXPORTED = Set.of("dev.nyla.sync", "dev.nyla.sync.artifact",
            "dev.nyla.sync.client", "dev.nyla.sync.corpus", "dev.nyla.sync.embed", "dev.nyla.sync.publish",
            "dev.nyla.sync.reconcile", "dev.nyla.sync.store");
    private static final Map<String, Set<String>> EXPORTED_TO = Map.of(
            "dev.nyla.sync.internal",
            Set.of("dev.nyla.sync.lucene", "dev.nyla.sync.jdbc", "dev.nyla.sync.djl", "dev.nyla.sync.cli"),
            "dev.nyla.sync.store.internal", Set.of("dev.nyla.sync.lucene", "dev.nyla.sync.jdbc", "dev.nyla.sync.cli"),
            "dev.nyla.sync.nativepayload", Set.of("dev.nyla.sync.lucene", "dev.nyla.sync.cli"),
            "dev.nyla.sync.artifact.internal", Set.of("dev.nyla.sync.cli"),
            "dev.nyla.sync.demo", Set.of("dev.nyla.sync.cli"));
    /** Exported to no one: the providers of the memory: and file: stores, which only the service loader reaches. */
    private static final Set<String> CONCEALED = Set.of("dev.nyla.sync.store.providers");

    private final ModuleDescriptor module = descriptor();

    @Test
    void exportsTheApiPackagesToEveryoneAndTheInternalOnesOnlyToTheProjectsModules() {
        assertEquals("dev.nyla.sync", module.name());
        assertEquals(new TreeSet<>(EXPORTED), module.exports().stream().filter(e -> !e.isQualified())
                .map(Exports::source).collect(Collectors.toCollection(TreeSet::new)));
        assertEquals(new TreeMap<>(EXPORTED_TO), module.exports().stream().filter(Exports::isQualified)
                .collect(Collectors.toMap(Exports::source, Exports::targets, (a, b) -> a, TreeMap::new)));
        assertTrue(module.opens().isEmpty(), "opens nothing: " + module.opens());
    }

    @Test
    void everyPackageIsExportedExportedOnlyToNamedModulesOrHoldsOnlyServiceProviders() {
        Set<String> accounted = new TreeSet<>(EXPORTED);
        accounted.addAll(EXPORTED_TO.keySet());
        accounted.addAll(CONCEALED);
        assertEquals(accounted, new TreeSet<>(module.packages()));
    }

    @Test
    void readsOnlyItsDeclaredDependencies() {
        Map<String, Set<Requires.Modifier>> requires = module.requires().stream()
                .filter(r -> !r.name().equals("java.base"))
                .collect(Collectors.toMap(Requires::name, Requires::modifiers, (a, b) -> a, TreeMap::new));
        assertEquals(new TreeMap<>(Map.of(
                "java.net.http", Set.of(Requires.Modifier.TRANSITIVE),
                "com.fasterxml.jackson.databind", Set.of(),
                "org.slf4j", Set.of(),
                "org.jsoup", Set.of(Requires.Modifier.STATIC))), requires);
    }

    @Test
    void usesTheStoreAndPayloadFormatServicesAndProvidesItsStoresAsOnTheClassPath() throws IOException {
        assertEquals(Set.of("dev.nyla.sync.store.VectorStoreProvider", "dev.nyla.sync.publish.NativePayloadFormat"),
                module.uses());
        Map<String, Set<String>> provides = module.provides().stream()
                .collect(Collectors.toMap(Provides::service, p -> new TreeSet<>(p.providers())));
        assertEquals(Map.of("dev.nyla.sync.store.VectorStoreProvider", new TreeSet<>(Set.of(
                "dev.nyla.sync.store.providers.MemoryVectorStoreProvider",
                "dev.nyla.sync.store.providers.FileVectorStoreProvider"))), provides);
        // The class path finds the same providers through META-INF/services.
        for (Provides p : module.provides()) {
            try (InputStream in = VectorRecord.class.getResourceAsStream("/META-INF/services/" + p.service())) {
                assertNotNull(in, "META-INF/services/" + p.service());
                Set<String> listed = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().map(String::strip)
                        .filter(l -> !l.isEmpty() && !l.startsWith("#")).collect(Collectors.toCollection(TreeSet::new));
                assertEquals(new TreeSet<>(p.providers()), listed, p.service());
            }
        }
    }

    private static ModuleDescriptor descriptor() {
        try {
            Path classes = Path.of(VectorRecord.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return ModuleFinder.of(classes).find("dev.nyla.sync")
                    .orElseThrow(() -> new AssertionError(classes + " holds no module dev.nyla.sync: is module-info.java "
                            + "compiled?"))
                    .descriptor();
        } catch (URISyntaxException e) {
            throw new AssertionError(e);
        }
    }
}
