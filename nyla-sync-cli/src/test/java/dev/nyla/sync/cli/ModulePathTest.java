package dev.nyla.sync.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.File;
import java.lang.module.Configuration;
import java.lang.module.FindException;
import java.lang.module.ModuleDescriptor.Exports;
import java.lang.module.ModuleDescriptor.Requires;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The project's modules as modules: the command line and everything its descriptor requires, taken from the
 * test class path, are resolved into a module layer of their own (the tests themselves run on the class path).
 * That proves that every {@code requires} names a module that exists under that name (Lucene's and Jackson's
 * descriptors, the Automatic-Module-Names of the PostgreSQL driver and DJL), that the adapters export exactly
 * their one package, that the api's internal packages reach the adapters and nothing else, and that stores are
 * found through {@code provides} and open from their own modules (the JDBC one with the SQLite driver, one of
 * its static dependencies).
 */
class ModulePathTest {
    private static final Set<String> PROJECT_MODULES = Set.of("dev.nyla.sync", "dev.nyla.sync.lucene",
            "dev.nyla.sync.jdbc", "dev.nyla.sync.djl", "dev.nyla.sync.cli");

    private static ModuleLayer layer;

    @BeforeAll
    static void resolveTheCommandLineAsAModule() {
        Map<String, Path> onClassPath = modulesOnTheClassPath();
        Map<String, Path> needed = new TreeMap<>();
        Set<String> roots = new TreeSet<>();
        Deque<String> todo = new ArrayDeque<>(Set.of("dev.nyla.sync.cli"));
        while (!todo.isEmpty()) {
            String name = todo.pop();
            if (needed.containsKey(name) || ModuleLayer.boot().findModule(name).isPresent()) {
                continue;
            }
            Path path = onClassPath.get(name);
            assertNotNull(path, "module " + name + " (required by a descriptor) is on the class path");
            needed.put(name, path);
            roots.add(name);
            for (Requires r : ModuleFinder.of(path).find(name).orElseThrow().descriptor().requires()) {
                boolean optional = r.modifiers().contains(Requires.Modifier.STATIC);
                if (!optional || onClassPath.containsKey(r.name())) {
                    todo.push(r.name());
                }
            }
        }
        Configuration cf = ModuleLayer.boot().configuration().resolveAndBind(
                ModuleFinder.of(needed.values().toArray(Path[]::new)), ModuleFinder.of(), roots);
        layer = ModuleLayer.boot().defineModulesWithOneLoader(cf, ClassLoader.getPlatformClassLoader());
    }

    @Test
    void theAdaptersExportTheirOnePackageAndTheApiItsInternalPackagesOnlyToTheProjectsModules() {
        Map<String, Set<String>> exported = new TreeMap<>();
        for (String name : PROJECT_MODULES) {
            ModuleDescriptor d = module(name).getDescriptor();
            exported.put(name, d.exports().stream().filter(e -> !e.isQualified()).map(Exports::source)
                    .collect(Collectors.toCollection(TreeSet::new)));
        }
        assertEquals(Set.of(), exported.get("dev.nyla.sync.cli"));
        assertEquals(Set.of("dev.nyla.sync.lucene"), exported.get("dev.nyla.sync.lucene"));
        assertEquals(Set.of("dev.nyla.sync.jdbc"), exported.get("dev.nyla.sync.jdbc"));
        assertEquals(Set.of("dev.nyla.sync.djl"), exported.get("dev.nyla.sync.djl"));
        assertFalse(exported.get("dev.nyla.sync").contains("dev.nyla.sync.internal"));

        Module api = module("dev.nyla.sync");
        for (String adapter : Set.of("dev.nyla.sync.lucene", "dev.nyla.sync.jdbc", "dev.nyla.sync.djl",
                "dev.nyla.sync.cli")) {
            assertTrue(api.isExported("dev.nyla.sync.internal", module(adapter)), adapter);
            assertTrue(module(adapter).canRead(api), adapter);
        }
        assertTrue(api.isExported("dev.nyla.sync.demo", module("dev.nyla.sync.cli")));
        assertFalse(api.isExported("dev.nyla.sync.demo", module("dev.nyla.sync.lucene")));
        assertFalse(api.isExported("dev.nyla.sync.internal"), "not to every module");
    }

    @Test
    void storesAndPayloadFormatsAreFoundThroughTheDescriptorsProvides() throws Exception {
        assertEquals(Set.of("dev.nyla.sync.store.providers.MemoryVectorStoreProvider",
                        "dev.nyla.sync.store.providers.FileVectorStoreProvider", "dev.nyla.sync.lucene.LuceneStoreProvider",
                        "dev.nyla.sync.jdbc.JdbcStoreProvider"),
                providers("dev.nyla.sync.store.VectorStoreProvider"));
        assertEquals(Set.of("dev.nyla.sync.lucene.LucenePayloadFormat"),
                providers("dev.nyla.sync.publish.NativePayloadFormat"));
    }

    @Test
    void storesOpenInTheLayerFromTheirOwnModules(@TempDir Path dir) throws Exception {
        Map<String, String> opened = new LinkedHashMap<>();
        // The layer's loader finds the adapters, as an application's loader does on the module path (this test's
        // own loader would find the class path's copies).
        Class<?> stores = api().loadClass("dev.nyla.sync.store.VectorStores");
        Method open = stores.getMethod("open", String.class, ClassLoader.class);
        for (String location : new String[] {"memory:", "file:" + dir.resolve("file"), "lucene:" + dir.resolve("lucene"),
                "jdbc:sqlite:" + dir.resolve("store.db")}) {
            Object store = open.invoke(null, location, api());
            try (AutoCloseable closing = (AutoCloseable) store) {
                opened.put(location.substring(0, location.indexOf(':')), store.getClass().getModule().getName());
                assertSame(layer, store.getClass().getModule().getLayer(), location);
            }
        }
        assertEquals(Map.of("memory", "dev.nyla.sync", "file", "dev.nyla.sync", "lucene", "dev.nyla.sync.lucene",
                "jdbc", "dev.nyla.sync.jdbc"), opened);
        assertTrue(Files.exists(dir.resolve("file")) && Files.exists(dir.resolve("lucene"))
                && Files.exists(dir.resolve("store.db")));
    }

    private static Set<String> providers(String service) throws ClassNotFoundException {
        return ServiceLoader.load(layer, api().loadClass(service)).stream().map(p -> p.type().getName())
                .collect(Collectors.toCollection(TreeSet::new));
    }

    private static ClassLoader api() {
        return layer.findLoader("dev.nyla.sync");
    }

    private static Module module(String name) {
        return layer.findModule(name).orElseThrow(() -> new AssertionError(name + " is not in the layer"));
    }

    /** Every jar and exploded module on the test class path, by module name (automatic ones by their derived or declared name). */
    private static Map<String, Path> modulesOnTheClassPath() {
        Map<String, Path> out = new TreeMap<>();
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        for (String entry : classPath.split(File.pathSeparator)) {
            Path p = Path.of(entry);
            boolean candidate = entry.endsWith(".jar") && Files.isRegularFile(p)
                    || Files.isRegularFile(p.resolve("module-info.class"));
            if (!candidate) {
                continue;
            }
            try {
                for (ModuleReference m : ModuleFinder.of(p).findAll()) {
                    out.putIfAbsent(m.descriptor().name(), p);
                }
            } catch (FindException e) {
                // A jar whose file name gives no valid module name (such as native libraries): no module of ours needs it.
            }
        }
        return out;
    }
}
