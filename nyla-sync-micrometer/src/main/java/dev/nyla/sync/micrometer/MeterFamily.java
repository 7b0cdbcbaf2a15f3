package dev.nyla.sync.micrometer;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Supplier;

/**
 * One meter per value of a tag (checks by outcome, bytes by route), each over its own state ({@link Count} or
 * {@link Durations}). The values given up front are registered at {@code bindTo}, so that a counter that never
 * moved still reads 0 (a Prometheus {@code increase()} misses the first sample of a series that appears at 1);
 * any other value is registered in every bound registry when it is first seen.
 *
 * <p>Thread-safe: states are found without a lock; creating one and binding a registry take this family's lock,
 * so a meter is registered exactly once in each registry, whichever comes first.
 */
final class MeterFamily<S> {

    /** Registers the meter of one tag value over its state. */
    interface Registration<S> {
        void register(MeterRegistry registry, Tags tags, S state);
    }

    private final Tags tags;
    private final String tagKey;
    private final Supplier<S> newState;
    private final Registration<S> registration;
    private final ConcurrentMap<String, S> states = new ConcurrentHashMap<>();
    /** Guarded by this. */
    private final List<MeterRegistry> registries = new ArrayList<>();

    MeterFamily(Tags tags, String tagKey, List<String> preset, Supplier<S> newState, Registration<S> registration) {
        this.tags = tags;
        this.tagKey = tagKey;
        this.newState = newState;
        this.registration = registration;
        preset.forEach(this::get);
    }

    /** The tag value of an enum constant, as Micrometer's own binders write them: lower case, words joined by '-'. */
    static String tagValue(Enum<?> constant) {
        return constant.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Tag values of all of {@code constants}. */
    static List<String> tagValues(Enum<?>[] constants) {
        return Arrays.stream(constants).map(MeterFamily::tagValue).toList();
    }

    /** The state of {@code value}'s meter, registering the meter in every bound registry the first time. */
    S get(String value) {
        S state = states.get(value);
        return state != null ? state : create(value);
    }

    S get(Enum<?> value) {
        return get(tagValue(value));
    }

    private synchronized S create(String value) {
        S state = states.get(value);
        if (state == null) {
            state = newState.get();
            for (MeterRegistry r : registries) {
                registration.register(r, tags.and(tagKey, value), state);
            }
            states.put(value, state);
        }
        return state;
    }

    synchronized void bindTo(MeterRegistry registry) {
        registries.add(registry);
        states.forEach((value, state) -> registration.register(registry, tags.and(tagKey, value), state));
    }
}
