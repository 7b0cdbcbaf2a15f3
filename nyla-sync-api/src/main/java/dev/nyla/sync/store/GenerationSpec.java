package dev.nyla.sync.store;

import dev.nyla.sync.EmbeddingModel;
import java.util.Map;
import java.util.Objects;

/**
 * What a new generation is: the artifact version it installs, and the model its vectors come from.
 *
 * @param version    the artifact version installed (monotonic per channel); 0 for a generation built
 *                   locally rather than from an artifact
 * @param label      a human-readable label for the version, may be empty
 * @param model      the embedding model of every vector in the generation
 * @param attributes free-form facts kept with the generation, e.g. the manifest's sha256
 */
public record GenerationSpec(long version, String label, EmbeddingModel model, Map<String, String> attributes) {

    public GenerationSpec {
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(model, "model");
        if (version < 0) {
            throw new IllegalArgumentException("generation version: expected >= 0 but was " + version);
        }
        attributes = Map.copyOf(attributes);
    }

    /** A spec with no attributes. */
    public static GenerationSpec of(long version, String label, EmbeddingModel model) {
        return new GenerationSpec(version, label, model, Map.of());
    }
}
