package dev.nyla.sync.micrometer;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.module.Configuration;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleDescriptor.Exports;
import java.lang.module.ModuleDescriptor.Requires;
import java.lang.module.ModuleFinder;
import java.lang.reflect.Method;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The module as a module (the tests run on the class path): its descriptor exports its one package and
 * requires the api and Micrometer under the names their jars give, and in a module layer of its own, with
 * Micrometer's jars as automatic modules, both binders register their meters.
 */
class ModulePathTest {
    private static final String MODULE = "dev.nyla.sync.micrometer";

    /** Where {@code type} was loaded from: a jar, or a classes directory. */
    private static Path locationOf(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void exportsItsPackageAndRequiresTheApiAndMicrometerTransitively() {
        ModuleDescriptor d = ModuleFinder.of(locationOf(NylaSyncMetrics.class)).find(MODULE).orElseThrow().descriptor();

        assertEquals(Set.of(MODULE), d.exports().stream().map(Exports::source).collect(Collectors.toSet()));
        assertTrue(d.exports().stream().noneMatch(Exports::isQualified));
        Map<String, Set<Requires.Modifier>> requires = d.requires().stream().filter(r -> !r.name().equals("java.base"))
                .collect(Collectors.toMap(Requires::name, Requires::modifiers, (a, b) -> a, TreeMap::new));
        assertEquals(Map.of("dev.nyla.sync", Set.of(Requires.Modifier.TRANSITIVE),
                "micrometer.core", Set.of(Requires.Modifier.TRANSITIVE)), requires);
        assertEquals("micrometer.core", ModuleFinder.of(locationOf(io.micrometer.core.instrument.MeterRegistry.class))
                .findAll().iterator().next().descriptor().name(), "the Automatic-Module-Name of micrometer-core's jar");
    }

    @Test
    void bothBindersRegisterTheirMetersOnTheModulePath() throws Exception {
        // The api and its named dependencies, and Micrometer's jars, which are automatic modules: resolving one
        // resolves all of them, as on an application's module path.
        List<Path> modulePath = Stream.of(NylaSyncMetrics.class, dev.nyla.sync.VectorRecord.class,
                        com.fasterxml.jackson.databind.ObjectMapper.class, com.fasterxml.jackson.core.JsonFactory.class,
                        com.fasterxml.jackson.annotation.JsonProperty.class, org.slf4j.Logger.class,
                        io.micrometer.core.instrument.MeterRegistry.class, io.micrometer.common.KeyValue.class,
                        io.micrometer.observation.Observation.class)
                .map(ModulePathTest::locationOf).distinct().toList();
        Configuration cf = ModuleLayer.boot().configuration().resolve(ModuleFinder.of(modulePath.toArray(Path[]::new)),
                ModuleFinder.of(), Set.of(MODULE));
        ModuleLayer layer = ModuleLayer.boot().defineModulesWithOneLoader(cf, ClassLoader.getPlatformClassLoader());
        ClassLoader loader = layer.findLoader(MODULE);

        Class<?> registryType = Class.forName("io.micrometer.core.instrument.MeterRegistry", true, loader);
        Object registry = Class.forName("io.micrometer.core.instrument.simple.SimpleMeterRegistry", true, loader)
                .getConstructor().newInstance();
        for (String binder : List.of("NylaSyncMetrics", "ReconcilerMetrics")) {
            Class<?> type = Class.forName(MODULE + "." + binder, true, loader);
            assertEquals(MODULE, type.getModule().getName());
            Object metrics = type.getConstructor(String.class).newInstance("kb");
            type.getMethod("bindTo", registryType).invoke(metrics, registry);
        }

        // Through Micrometer's public interfaces: the meters' own classes are not public.
        Method getId = Class.forName("io.micrometer.core.instrument.Meter", true, loader).getMethod("getId");
        Method getName = Class.forName("io.micrometer.core.instrument.Meter$Id", true, loader).getMethod("getName");
        Set<String> names = new TreeSet<>();
        for (Object meter : (List<?>) registryType.getMethod("getMeters").invoke(registry)) {
            names.add((String) getName.invoke(getId.invoke(meter)));
        }
        assertTrue(names.containsAll(Set.of("nyla.sync.checks", "nyla.sync.installed.version",
                "nyla.sync.reconcile.drift", "nyla.sync.reconcile.syncs")), names.toString());
    }
}
