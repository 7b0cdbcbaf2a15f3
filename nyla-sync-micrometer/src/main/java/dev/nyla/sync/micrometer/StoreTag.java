package dev.nyla.sync.micrometer;

import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import java.util.Objects;

/** The {@code store} tag every meter of a binder carries, which tells two clients or reconcilers apart. */
final class StoreTag {
    static final String KEY = "store";

    private StoreTag() {
    }

    /** {@code tags} and {@code store=<store>}. */
    static Tags of(String store, Iterable<Tag> tags) {
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(tags, "tags");
        if (store.isBlank()) {
            throw new IllegalArgumentException("store: expected a name that tells this binder's meters from other "
                    + "stores' (the store's location, say), but was '" + store + "'");
        }
        return Tags.of(tags).and(KEY, store);
    }
}
