package dev.nyla.sync.spring;

import dev.nyla.sync.client.NylaSync;

/**
 * Sets the sync client's options that properties cannot express, on the auto-configured
 * {@link NylaSync.Builder} before it is built: manual approval, an update condition, a metered-connection check,
 * a local rebuild, the scheduler. Declare one or more as beans; they run in {@link org.springframework.core.Ordered
 * order}.
 *
 * <pre>{@code
 * @Bean
 * NylaSyncBuilderCustomizer onlySmallUpdates() {
 *     return builder -> builder.updateCondition(offer -> offer.downloadBytes() < 200_000_000);
 * }
 * }</pre>
 *
 * <p>The builder takes each option once, so a customizer must leave alone what the auto-configuration set: the
 * source, store, keys, model guard and clock from beans, the listener (declare {@link
 * dev.nyla.sync.client.SyncListener} beans instead: they are all called), and every option whose
 * {@code nyla.sync.*} property is set. Setting one of those again fails the start-up with a message naming the
 * option.
 */
@FunctionalInterface
public interface NylaSyncBuilderCustomizer {

    /** Sets options on {@code builder}. */
    void customize(NylaSync.Builder builder);
}
