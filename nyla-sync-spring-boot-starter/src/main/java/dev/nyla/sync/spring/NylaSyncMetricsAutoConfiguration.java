package dev.nyla.sync.spring;

import dev.nyla.sync.micrometer.NylaSyncMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.context.annotation.Bean;

/**
 * The client's meters ({@code nyla.sync.*}, docs/metrics.md) when the application has Micrometer and
 * {@code nyla-sync-micrometer}: a {@link NylaSyncMetrics} bean, which is both a listener the client's
 * auto-configuration hands every event to (so it runs before it) and a {@code MeterBinder} the actuator binds
 * to its registries. Its meters carry {@code store=default}; an application with several clients defines
 * its own {@link NylaSyncMetrics} beans with their names, and this one backs off.
 */
@AutoConfiguration(before = NylaSyncAutoConfiguration.class)
@ConditionalOnClass({NylaSyncMetrics.class, MeterRegistry.class})
@ConditionalOnBooleanProperty(name = "nyla.sync.enabled", matchIfMissing = true)
public class NylaSyncMetricsAutoConfiguration {
    /** The {@code store} tag of the auto-configured client's meters. */
    static final String STORE_TAG = "default";

    @Bean
    @ConditionalOnMissingBean
    NylaSyncMetrics nylaSyncMetrics() {
        return new NylaSyncMetrics(STORE_TAG);
    }
}
