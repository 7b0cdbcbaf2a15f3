package dev.nyla.sync.store;

import dev.nyla.sync.EmbeddingModel;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * A committed generation of a {@link VectorStore}.
 *
 * @param id          the store's own number for it, increasing with every new generation
 * @param version     the artifact version it was installed from (0 when built locally)
 * @param label       the version's human-readable label
 * @param model       the embedding model of its vectors
 * @param recordCount how many records it held when committed
 * @param committedAt when it was committed
 * @param attributes  the facts given in its {@link GenerationSpec}
 */
public record Generation(long id, long version, String label, EmbeddingModel model, long recordCount,
                         Instant committedAt, Map<String, String> attributes) {

    public Generation {
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(committedAt, "committedAt");
        attributes = Map.copyOf(attributes);
        if (id < 1) {
            throw new IllegalArgumentException("generation id: expected >= 1 but was " + id);
        }
    }
}
