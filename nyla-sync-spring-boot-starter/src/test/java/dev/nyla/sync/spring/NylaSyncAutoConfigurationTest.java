package dev.nyla.sync.spring;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.artifact.ArtifactSource;
import dev.nyla.sync.artifact.DirectoryArtifactSource;
import dev.nyla.sync.artifact.ModelMismatchException;
import dev.nyla.sync.client.NylaSync;
import dev.nyla.sync.client.SyncListener;
import dev.nyla.sync.client.SyncResult;
import dev.nyla.sync.djl.DjlEmbedder;
import dev.nyla.sync.embed.Embedder;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.VectorStore;
import dev.nyla.sync.store.VectorStores;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.core.annotation.Order;

/**
 * The auto-configuration's beans and conditions, in contexts of their own against a signed site in a directory:
 * what three properties make, which beans back off for the application's own, and how a bad or missing setting
 * stops the start-up with its property named.
 */
class NylaSyncAutoConfigurationTest {
    private static final AutoConfigurations STARTER = AutoConfigurations.of(NylaSyncAutoConfiguration.class,
            NylaSyncHealthAutoConfiguration.class, NylaSyncInfoAutoConfiguration.class);

    @TempDir
    Path dir;
    private ArtifactSite site;

    @BeforeEach
    void setUp() throws IOException {
        site = new ArtifactSite(dir);
    }

    @AfterEach
    void tearDown() {
        site.close();
    }

    /** The starter, the application's query embedder, and no properties. */
    private ApplicationContextRunner bare() {
        return new ApplicationContextRunner().withConfiguration(STARTER)
                .withBean(Embedder.class, () -> ArtifactSite.EMBEDDER);
    }

    /** {@link #bare()} with the three properties: source, store and public key. */
    private ApplicationContextRunner configured() {
        return bare().withPropertyValues("nyla.sync.source=" + site.directory, "nyla.sync.store=file:" + dir.resolve("store"),
                "nyla.sync.public-key=" + site.publicKey);
    }

    private static long activeVersion(VectorStore store) throws IOException {
        return store.activeGeneration().map(Generation::version).orElse(0L);
    }

    private static Health health(AssertableApplicationContext context) {
        return context.getBean("nylaSyncHealthIndicator", HealthIndicator.class).health();
    }

    /** The configuration failure that stopped {@code context}'s start-up. */
    private static NylaSyncConfigurationException configurationFailure(AssertableApplicationContext context) {
        Throwable failure = context.getStartupFailure();
        assertNotNull(failure, "the start-up should have failed");
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof NylaSyncConfigurationException e) {
                return e;
            }
        }
        throw new AssertionError("not a configuration failure", failure);
    }

    private static void assertNames(NylaSyncConfigurationException e, String... properties) {
        for (String p : properties) {
            assertTrue(e.properties().stream().anyMatch(line -> line.startsWith(p)), p + " in " + e.properties());
        }
    }

    @Test
    void threePropertiesMakeAClientThatInstalledTheSiteBeforeTheContextIsUp() throws IOException {
        site.publish("first");
        configured().run(context -> {
            assertNull(context.getStartupFailure());
            VectorStore store = context.getBean(VectorStore.class);
            assertEquals(1, activeVersion(store));
            assertSame(store, context.getBean(NylaSync.class).store());
            assertInstanceOf(DirectoryArtifactSource.class, context.getBean(ArtifactSource.class));
            assertEquals(Status.UP, health(context).getStatus());
            assertTrue(context.containsBean("nylaSyncInfoContributor"));
        });
    }

    @Test
    void theApplicationsOwnStoreAndSourceAreUsed() throws IOException {
        site.publish("first");
        VectorStore own = VectorStores.open("memory:");
        bare().withBean(VectorStore.class, () -> own)
                .withBean(ArtifactSource.class, () -> new DirectoryArtifactSource(site.directory))
                .withPropertyValues("nyla.sync.public-key=" + site.publicKey)
                .run(context -> {
                    assertNull(context.getStartupFailure());
                    assertSame(own, context.getBean(VectorStore.class));
                    assertFalse(context.containsBean("nylaSyncVectorStore"));
                    assertFalse(context.containsBean("nylaSyncArtifactSource"));
                    assertEquals(1, activeVersion(own));
                });
    }

    @Test
    void theApplicationsOwnClientWinsAndStartsWithTheContext() throws IOException {
        site.publish("first");
        VectorStore own = VectorStores.open("memory:");
        NylaSync.Builder client = NylaSync.builder().source(new DirectoryArtifactSource(site.directory)).store(own)
                .publicKey(site.keys.getPublic()).queryEmbedder(ArtifactSite.EMBEDDER);
        bare().withBean(NylaSync.class, () -> {
                    try {
                        return client.build();
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                })
                .run(context -> {
                    assertNull(context.getStartupFailure(), "no nyla.sync property is needed beside the application's client");
                    assertSame(own, context.getBean(NylaSync.class).store());
                    assertEquals(1, activeVersion(own), "the start-up check ran on the application's client");
                    assertTrue(context.getBeansOfType(VectorStore.class).isEmpty());
                });
    }

    @Test
    void missingSettingsAreNamedTogetherWithTheirProperties() {
        bare().run(context -> {
            NylaSyncConfigurationException e = configurationFailure(context);
            for (String option : List.of("source(...)", "store(...)", "publicKey(...)")) {
                assertTrue(e.getMessage().contains(option), e.getMessage());
            }
            assertNames(e, "nyla.sync.source", "nyla.sync.store", "nyla.sync.public-key");
        });
    }

    @Test
    void badValuesFailTheStartUpNamingTheirProperties() {
        configured().withPropertyValues("nyla.sync.interval=500ms", "nyla.sync.jitter=2").run(context -> {
            NylaSyncConfigurationException e = configurationFailure(context);
            assertTrue(e.getMessage().contains("checkInterval: expected at least 1 s but was PT0.5S"), e.getMessage());
            assertTrue(e.getMessage().contains("jitter: expected a fraction in 0..1 but was 2.0"), e.getMessage());
            assertNames(e, "nyla.sync.interval", "nyla.sync.jitter");
        });
    }

    @Test
    void anUnreadableKeyIsNamedByItsIndex() {
        configured().withPropertyValues("nyla.sync.public-key=" + site.publicKey + "," + dir.resolve("missing.pub"))
                .run(context -> {
                    NylaSyncConfigurationException e = configurationFailure(context);
                    assertTrue(e.getMessage().contains("nyla.sync.public-key[1]: no such file or resource"), e.getMessage());
                    assertFalse(e.getMessage().contains("public-key[0]"), e.getMessage());
                });
    }

    @Test
    void keysAreReadFromTheClassPathAndFromPemText() throws IOException {
        site.publish("first");
        Path resources = Files.createDirectories(dir.resolve("resources/keys"));
        Files.copy(site.publicKey, resources.resolve("release.pub"));
        URLClassLoader loader = new URLClassLoader(new URL[] {dir.resolve("resources").toUri().toURL()},
                getClass().getClassLoader());
        configured().withClassLoader(loader).withPropertyValues("nyla.sync.public-key=classpath:keys/release.pub")
                .run(context -> assertEquals(1, activeVersion(context.getBean(VectorStore.class)),
                        String.valueOf(context.getStartupFailure())));

        Path other = dir.resolve("other");
        configured().withPropertyValues("nyla.sync.store=file:" + other,
                        "nyla.sync.public-key=" + Files.readString(site.publicKey))
                .run(context -> assertEquals(1, activeVersion(context.getBean(VectorStore.class)),
                        String.valueOf(context.getStartupFailure())));
    }

    @Test
    void anUnknownStoreLocationIsNamedWithTheSchemesThatExist() {
        configured().withPropertyValues("nyla.sync.store=bogus:/x").run(context -> {
            NylaSyncConfigurationException e = configurationFailure(context);
            assertTrue(e.getMessage().startsWith("nyla.sync.store: store location 'bogus:/x'"), e.getMessage());
            assertTrue(e.getMessage().contains("file"), "the message lists the schemes on the class path: " + e.getMessage());
        });
    }

    @Test
    void withoutDjlTheModelGuardNeedsAnEmbedderBeanOrAcceptAnyModel() throws IOException {
        site.publish("first");
        ApplicationContextRunner noDjl = new ApplicationContextRunner().withConfiguration(STARTER)
                .withClassLoader(new FilteredClassLoader(DjlEmbedder.class))
                .withPropertyValues("nyla.sync.source=" + site.directory, "nyla.sync.store=file:" + dir.resolve("store"),
                        "nyla.sync.public-key=" + site.publicKey);
        noDjl.run(context -> {
            NylaSyncConfigurationException e = configurationFailure(context);
            assertTrue(e.getMessage().contains("queryEmbedder(...) or expectedModel(...) is required"), e.getMessage());
            assertNames(e, "an Embedder bean");
        });
        noDjl.withPropertyValues("nyla.sync.accept-any-model=true").run(context -> {
            assertFalse(context.containsBean("nylaSyncEmbedder"));
            assertEquals(1, activeVersion(context.getBean(VectorStore.class)));
        });
    }

    @Test
    void withDjlOnTheClassPathItsModelIsTheQueryModelAndGuardsTheStore() throws IOException {
        site.publish("first");
        new ApplicationContextRunner().withConfiguration(STARTER)
                .withPropertyValues("nyla.sync.source=" + site.directory, "nyla.sync.store=file:" + dir.resolve("store"),
                        "nyla.sync.public-key=" + site.publicKey, "nyla.sync.initial-check=none",
                        "nyla.sync.model-cache-directory=" + Path.of("target", "djl-cache").toAbsolutePath())
                .run(context -> {
                    assertNull(context.getStartupFailure());
                    DjlEmbedder embedder = context.getBean(DjlEmbedder.class);
                    assertEquals("all-MiniLM-L6-v2", embedder.model().id());
                    SyncResult r = context.getBean(NylaSync.class).checkNow();
                    assertInstanceOf(ModelMismatchException.class, r.failure().orElseThrow(),
                            "the site was published with another model: " + r.steps());
                });
    }

    @Test
    void everyListenerBeanHearsTheRunsAndOneThatThrowsSilencesNoOther() throws IOException {
        site.publish("first");
        List<SyncResult> heard = new CopyOnWriteArrayList<>();
        configured().withBean("broken", SyncListener.class, () -> new BrokenListener())
                .withBean("recording", SyncListener.class, () -> new SyncListener() {
                    @Override
                    public void completed(SyncResult result) {
                        heard.add(result);
                    }
                })
                .run(context -> {
                    assertNull(context.getStartupFailure());
                    assertEquals(1, heard.size(), heard.toString());
                    assertEquals(SyncResult.Outcome.INSTALLED, heard.getFirst().outcome());
                });
    }

    /** Ordered first, so the listener after it is called only if the forwarding goes on past a failure. */
    @Order(0)
    static final class BrokenListener implements SyncListener {
        @Override
        public void completed(SyncResult result) {
            throw new IllegalStateException("a listener bug");
        }
    }

    @Test
    void aCustomizerSetsWhatPropertiesCannot() throws IOException {
        site.publish("first");
        configured().withBean(NylaSyncBuilderCustomizer.class, () -> b -> b.manualApproval(offer -> false))
                .run(context -> {
                    assertNull(context.getStartupFailure());
                    assertEquals(0, activeVersion(context.getBean(VectorStore.class)), "the approver said no");
                    assertEquals(SyncResult.Outcome.DECLINED,
                            context.getBean(NylaSync.class).status().lastResult().orElseThrow());
                });
    }

    @Test
    void aCustomizerSettingAnOptionThatAPropertySetFailsTheStartUpNamingTheOption() {
        configured().withPropertyValues("nyla.sync.interval=10m")
                .withBean(NylaSyncBuilderCustomizer.class, () -> b -> b.checkInterval(Duration.ofMinutes(5)))
                .run(context -> {
                    Throwable failure = context.getStartupFailure();
                    assertNotNull(failure);
                    Throwable root = failure;
                    while (root.getCause() != null) {
                        root = root.getCause();
                    }
                    assertTrue(root.getMessage().contains("checkInterval was already set to PT10M"), root.getMessage());
                });
    }

    @Test
    void withNoStartUpCheckAndNoBackgroundChecksTheApplicationDecidesWhen() throws IOException {
        site.publish("first");
        configured().withPropertyValues("nyla.sync.initial-check=none", "nyla.sync.background-checks=false")
                .run(context -> {
                    VectorStore store = context.getBean(VectorStore.class);
                    assertEquals(0, activeVersion(store));
                    assertEquals(Status.UNKNOWN, health(context).getStatus(), "no check has run");
                    assertEquals(SyncResult.Outcome.INSTALLED, context.getBean(NylaSync.class).checkNow().outcome());
                    assertEquals(1, activeVersion(store));
                    assertEquals(Status.UP, health(context).getStatus());
                });
    }

    @Test
    void aBackgroundStartUpCheckWithoutBackgroundChecksIsRefused() {
        configured().withPropertyValues("nyla.sync.initial-check=background", "nyla.sync.background-checks=false")
                .run(context -> assertNames(configurationFailure(context), "nyla.sync.initial-check"));
    }

    @Test
    void aCheckThatLeftNothingInstalledIsDown() {
        configured().run(context -> {
            assertNull(context.getStartupFailure(), "a failed check is a result, not a start-up failure");
            Health h = health(context);
            assertEquals(Status.DOWN, h.getStatus());
            assertEquals("FAILED", h.getDetails().get("lastResult"));
            assertTrue(String.valueOf(h.getDetails().get("lastFailure")).contains("manifest.json"), h.getDetails().toString());
        });
    }

    @Test
    void requiringAnInstalledVersionFailsAStartUpThatCouldInstallNothingNamingWhatToChange() throws IOException {
        configured().withPropertyValues("nyla.sync.require-installed=true").run(context -> {
            NylaSyncConfigurationException e = configurationFailure(context);
            assertTrue(e.getMessage().startsWith("nothing is installed in file:") && e.getMessage().contains("FAILED")
                    && e.getMessage().contains("manifest.json"), e.getMessage());
            assertNames(e, "nyla.sync.source", "nyla.sync.baseline", "nyla.sync.require-installed");
        });
        // Reachable: the start-up installs the version and goes on.
        site.publish("first");
        configured().withPropertyValues("nyla.sync.require-installed=true").run(context -> {
            assertNull(context.getStartupFailure());
            assertEquals(1, activeVersion(context.getBean(VectorStore.class)));
        });
    }

    @Test
    void requiringAnInstalledVersionNeedsTheBlockingStartUpCheck() {
        configured().withPropertyValues("nyla.sync.require-installed=true", "nyla.sync.initial-check=none")
                .run(context -> assertNames(configurationFailure(context), "nyla.sync.initial-check"));
    }

    @Test
    void theBundledBaselineInstallsWhenTheSourceCannotBeReached() throws IOException {
        site.publish("first");
        configured().withPropertyValues("nyla.sync.source=" + dir.resolve("unreachable"),
                        "nyla.sync.baseline=" + site.directory)
                .run(context -> assertEquals(1, activeVersion(context.getBean(VectorStore.class)),
                        String.valueOf(context.getStartupFailure())));
        configured().withPropertyValues("nyla.sync.baseline=https://cdn.example.com/kb/")
                .run(context -> assertNames(configurationFailure(context), "nyla.sync.baseline"));
    }

    @Test
    void offByProperty() {
        configured().withPropertyValues("nyla.sync.enabled=false").run(context -> {
            assertNull(context.getStartupFailure());
            assertTrue(context.getBeansOfType(NylaSync.class).isEmpty());
            assertFalse(context.containsBean("nylaSyncHealthIndicator"));
        });
        configured().withPropertyValues("management.health.nylasync.enabled=false",
                "management.info.nylasync.enabled=false").run(context -> {
            assertEquals(1, context.getBeansOfType(NylaSync.class).size());
            assertFalse(context.containsBean("nylaSyncHealthIndicator"));
            assertFalse(context.containsBean("nylaSyncInfoContributor"));
        });
    }
}
