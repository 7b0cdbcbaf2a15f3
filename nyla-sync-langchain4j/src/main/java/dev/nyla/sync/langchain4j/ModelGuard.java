package dev.nyla.sync.langchain4j;

import dev.nyla.sync.DimensionMismatchException;
import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.artifact.ModelMismatchException;
import dev.nyla.sync.store.Generation;
import java.util.Optional;

/**
 * The model the application embeds its queries with, checked against the model of the store's active
 * generation: queries of one model searched against vectors of another return confident nonsense, so a
 * mismatch is refused, as the sync client refuses an artifact of another model.
 *
 * <p>Only a {@link NylaEmbeddingModel} says which model it is; any other LangChain4j model is checked by
 * dimension alone, which catches most other models but not two models of equal dimension. Its dimension is
 * asked once ({@code dimension()}, which LangChain4j's default answers by embedding a probe text) and kept.
 */
final class ModelGuard {
    /** No model given: nothing to check here; the store still refuses a query vector of the wrong length. */
    static final ModelGuard NONE = new ModelGuard(null, Optional.empty(), 0);

    private final dev.langchain4j.model.embedding.EmbeddingModel queryModel;
    private final Optional<EmbeddingModel> identity;
    /** The query model's dimension once known; 0 before a model without nyla identity was first asked. */
    private volatile int dimension;

    private ModelGuard(dev.langchain4j.model.embedding.EmbeddingModel queryModel, Optional<EmbeddingModel> identity,
                       int dimension) {
        this.queryModel = queryModel;
        this.identity = identity;
        this.dimension = dimension;
    }

    /** The guard for queries embedded by {@code queryModel}. */
    static ModelGuard of(dev.langchain4j.model.embedding.EmbeddingModel queryModel) {
        if (queryModel instanceof NylaEmbeddingModel nyla) {
            return new ModelGuard(queryModel, Optional.of(nyla.model()), nyla.model().dimension());
        }
        // Asked when checked, not here: LangChain4j's default dimension() embeds a probe text.
        return new ModelGuard(queryModel, Optional.empty(), 0);
    }

    /** The nyla identity of the query model, if it has one. */
    Optional<EmbeddingModel> identity() {
        return identity;
    }

    /**
     * Checks the query model against {@code active}, the generation searches see.
     *
     * @throws ModelMismatchException when the query model's nyla identity is not compatible with the
     *         generation's model (fingerprint, dimension, similarity)
     * @throws DimensionMismatchException when a query model without nyla identity has another dimension
     */
    void check(String location, Generation active) throws ModelMismatchException, DimensionMismatchException {
        if (queryModel == null) {
            return;
        }
        EmbeddingModel stored = active.model();
        String subject = location + " (active generation " + active.id() + ", version " + active.version() + ")";
        if (identity.isPresent()) {
            if (!identity.get().isCompatibleWith(stored)) {
                throw new ModelMismatchException(subject, "embedding model", describe(identity.get())
                        + " (the LangChain4j EmbeddingModel queries are embedded with; embed them with the model "
                        + "the store's artifact was published with)", describe(stored));
            }
            return;
        }
        int queryDimension = dimension;
        if (queryDimension == 0) {
            queryDimension = queryModel.dimension();
            dimension = queryDimension;
        }
        if (queryDimension != stored.dimension()) {
            throw new DimensionMismatchException(subject + ": the LangChain4j EmbeddingModel "
                    + queryModel.getClass().getSimpleName() + " (" + queryModel.modelName() + ") embeds queries in "
                    + queryDimension + " dimensions, the store's model " + stored.id() + " in " + stored.dimension(),
                    stored.dimension(), queryDimension);
        }
    }

    private static String describe(EmbeddingModel m) {
        return m.id() + " (" + m.dimension() + " dims, " + m.similarity().wireName() + ", fingerprint "
                + m.fingerprint() + ")";
    }
}
