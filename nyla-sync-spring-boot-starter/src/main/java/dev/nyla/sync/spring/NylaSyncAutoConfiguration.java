package dev.nyla.sync.spring;

import dev.nyla.sync.artifact.ArtifactSource;
import dev.nyla.sync.client.NylaSync;
import dev.nyla.sync.client.SyncListener;
import dev.nyla.sync.djl.DjlEmbedder;
import dev.nyla.sync.embed.Embedder;
import dev.nyla.sync.store.VectorStore;
import dev.nyla.sync.store.VectorStores;
import java.io.IOException;
import java.time.Clock;
import java.util.Optional;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.ResourceLoader;

/**
 * A {@link NylaSync} client from the {@code nyla.sync.*} properties ({@link NylaSyncProperties}), started with the
 * application context and stopped with it. Every bean backs off when the application defines its own: the
 * {@link VectorStore} (from {@code nyla.sync.store}), the {@link ArtifactSource} (from {@code nyla.sync.source}),
 * the query {@link Embedder} (a {@code DjlEmbedder} when {@code nyla-sync-embedder-djl} is on the class path),
 * and the {@link NylaSync} itself. The context's {@link SyncListener} beans all hear the client's events, its
 * {@link NylaSyncBuilderCustomizer} beans set the options properties cannot, and its {@link Clock} bean, if
 * any, is the client's clock. {@code nyla.sync.enabled=false} turns all of it off.
 */
@AutoConfiguration
@ConditionalOnBooleanProperty(name = "nyla.sync.enabled", matchIfMissing = true)
@EnableConfigurationProperties(NylaSyncProperties.class)
public class NylaSyncAutoConfiguration {

    /** The store at {@code nyla.sync.store}, closed with the context (after the client). */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    @ConditionalOnProperty(prefix = "nyla.sync", name = "store")
    VectorStore nylaSyncVectorStore(NylaSyncProperties properties, ResourceLoader resources) {
        String location = properties.getStore().strip();
        try {
            return VectorStores.open(location, classLoader(resources));
        } catch (IOException | RuntimeException e) {
            // The adapter's message names the location as it shows it (a JDBC store without its password).
            throw new NylaSyncConfigurationException("nyla.sync.store: " + e.getMessage(),
                    "nyla.sync.store: a location whose adapter is on the class path (file:<dir>, "
                    + "memory:, lucene:<dir> with nyla-sync-lucene, jdbc:... with nyla-sync-jdbc), or a VectorStore bean");
        }
    }

    /** The source at {@code nyla.sync.source}, closed with the context (after the client). */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    @ConditionalOnProperty(prefix = "nyla.sync", name = "source")
    ArtifactSource nylaSyncArtifactSource(NylaSyncProperties properties, ResourceLoader resources) {
        return ArtifactSources.open(properties.getSource(), "nyla.sync.source", properties.getHttp().getHeaders(),
                classLoader(resources));
    }

    /**
     * The client, from the properties and the context's source, store, embedder, clock, listeners and
     * customizers; a bad or missing setting stops the start-up with every problem named.
     */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    NylaSync nylaSync(NylaSyncProperties properties, ResourceLoader resources, ObjectProvider<ArtifactSource> source,
                      ObjectProvider<VectorStore> store, ObjectProvider<Embedder> embedder, ObjectProvider<Clock> clock,
                      ObjectProvider<SyncListener> listeners, ObjectProvider<NylaSyncBuilderCustomizer> customizers)
            throws IOException {
        return new NylaSyncFactory(properties, resources).create(Optional.ofNullable(source.getIfUnique()),
                Optional.ofNullable(store.getIfUnique()), Optional.ofNullable(embedder.getIfUnique()),
                Optional.ofNullable(clock.getIfUnique()), listeners.orderedStream().toList(),
                customizers.orderedStream().toList());
    }

    /** Starts the context's client with the application (see {@code nyla.sync.initial-check}) and stops it. */
    @Bean
    NylaSyncLifecycle nylaSyncLifecycle(NylaSync sync, NylaSyncProperties properties) {
        return new NylaSyncLifecycle(sync, properties.getInitialCheck(), properties.isBackgroundChecks(),
                properties.isRequireInstalled());
    }

    static ClassLoader classLoader(ResourceLoader resources) {
        ClassLoader loader = resources.getClassLoader();
        return loader != null ? loader : NylaSyncAutoConfiguration.class.getClassLoader();
    }

    /** The query embedder: DJL's all-MiniLM-L6-v2 or the model {@code nyla.sync.model} names. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(DjlEmbedder.class)
    static class DjlEmbedderConfiguration {

        @Bean(destroyMethod = "close")
        @ConditionalOnMissingBean(Embedder.class)
        DjlEmbedder nylaSyncEmbedder(NylaSyncProperties properties) throws IOException {
            return DjlModels.embedder(properties.getModel(), properties.getModelCacheDirectory());
        }
    }
}
