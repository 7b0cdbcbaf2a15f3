package dev.nyla.sync;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Deterministic test records: clustered unit vectors from a fixed seed. */
public final class TestData {
    private TestData() {
    }

    /** A test model of {@code dimension} with {@code similarity}. */
    public static EmbeddingModel model(int dimension, Similarity similarity) {
        return new EmbeddingModel("test-model", dimension, similarity, similarity == Similarity.COSINE,
                "test-fingerprint-" + dimension + "-" + similarity.wireName());
    }

    /** A unit vector of {@code dimension} drawn from {@code random}. */
    public static float[] unitVector(Random random, int dimension) {
        float[] v = new float[dimension];
        double norm = 0;
        for (int i = 0; i < dimension; i++) {
            v[i] = (float) random.nextGaussian();
            norm += v[i] * v[i];
        }
        float inv = (float) (1 / Math.sqrt(norm));
        for (int i = 0; i < dimension; i++) {
            v[i] *= inv;
        }
        return v;
    }

    /** {@code count} records of {@code tenant} with ids {@code doc-00000…}, random vectors from {@code seed}. */
    public static List<VectorRecord> records(EmbeddingModel model, String tenant, int count, long seed,
                                             Map<String, String> metadata) {
        Random random = new Random(seed);
        List<VectorRecord> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String id = String.format("doc-%05d", i);
            out.add(VectorRecord.of(tenant, id, "text of " + id, metadata, model, unitVector(random, model.dimension())));
        }
        return out;
    }
}
