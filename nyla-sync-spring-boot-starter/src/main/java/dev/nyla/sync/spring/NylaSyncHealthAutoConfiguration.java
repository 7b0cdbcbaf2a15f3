package dev.nyla.sync.spring;

import dev.nyla.sync.client.NylaSync;
import java.time.Clock;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * The {@code nylaSync} health indicator (see {@code NylaSyncHealthIndicator} for the statuses), when Spring
 * Boot's health support is on the class path (the actuator brings it). {@code management.health.nylasync.enabled=false}
 * turns it off.
 */
@AutoConfiguration(after = NylaSyncAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnBean(NylaSync.class)
@ConditionalOnEnabledHealthIndicator("nylasync")
public class NylaSyncHealthAutoConfiguration {

    /** Judges expiry with the context's {@link Clock} bean when it has one, as the client does. */
    @Bean
    @ConditionalOnMissingBean(name = "nylaSyncHealthIndicator")
    NylaSyncHealthIndicator nylaSyncHealthIndicator(NylaSync sync, ObjectProvider<Clock> clock) {
        return new NylaSyncHealthIndicator(sync, clock.getIfUnique(Clock::systemUTC));
    }
}
