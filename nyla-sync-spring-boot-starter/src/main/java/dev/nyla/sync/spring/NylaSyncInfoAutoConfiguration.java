package dev.nyla.sync.spring;

import dev.nyla.sync.artifact.ArtifactSource;
import dev.nyla.sync.client.NylaSync;
import java.util.Optional;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.info.ConditionalOnEnabledInfoContributor;
import org.springframework.boot.actuate.info.InfoContributor;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Adds {@code nylaSync} (installed version, model, store, source) to the actuator's info endpoint.
 * {@code management.info.nylasync.enabled=false} turns it off.
 */
@AutoConfiguration(after = NylaSyncAutoConfiguration.class)
@ConditionalOnClass({InfoContributor.class, ConditionalOnEnabledInfoContributor.class})
@ConditionalOnBean(NylaSync.class)
@ConditionalOnEnabledInfoContributor("nylasync")
public class NylaSyncInfoAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean(name = "nylaSyncInfoContributor")
    NylaSyncInfoContributor nylaSyncInfoContributor(NylaSync sync, ObjectProvider<ArtifactSource> source) {
        return new NylaSyncInfoContributor(sync, Optional.ofNullable(source.getIfUnique()));
    }
}
