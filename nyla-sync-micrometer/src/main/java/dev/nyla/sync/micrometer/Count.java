package dev.nyla.sync.micrometer;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.concurrent.atomic.LongAdder;

/**
 * A count that listeners add to from any thread and that registries read as a {@link FunctionCounter}: the
 * count lives here, not in a registry, so events heard before {@code bindTo} are kept and every registry bound
 * reads the same value.
 */
final class Count {
    private final LongAdder n = new LongAdder();

    void add(long amount) {
        n.add(amount);
    }

    void increment() {
        n.increment();
    }

    long get() {
        return n.sum();
    }

    /** Registers this count in {@code registry}; {@code baseUnit} may be null. */
    void register(MeterRegistry registry, String name, String description, String baseUnit, Tags tags) {
        FunctionCounter.builder(name, this, Count::get).description(description).baseUnit(baseUnit).tags(tags)
                .register(registry);
    }
}
