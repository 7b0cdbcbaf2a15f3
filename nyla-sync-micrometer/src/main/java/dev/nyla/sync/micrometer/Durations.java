package dev.nyla.sync.micrometer;

import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * How many times something took how long in total, read by registries as a {@link FunctionTimer} (count and
 * total time; no maximum or percentiles), for the same reason as {@link Count}.
 */
final class Durations {
    private final LongAdder count = new LongAdder();
    private final LongAdder nanos = new LongAdder();

    void record(long elapsedNanos) {
        // The total first: a scrape between the two sees a mean a little high, never a count whose time is missing.
        nanos.add(Math.max(0, elapsedNanos));
        count.increment();
    }

    void record(Duration elapsed) {
        record(elapsed.toNanos());
    }

    long count() {
        return count.sum();
    }

    double totalNanos() {
        return nanos.sum();
    }

    void register(MeterRegistry registry, String name, String description, Tags tags) {
        FunctionTimer.builder(name, this, Durations::count, Durations::totalNanos, TimeUnit.NANOSECONDS)
                .description(description).tags(tags).register(registry);
    }
}
