package dev.nyla.sync.lucene;

import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.RecordKeys;
import dev.nyla.sync.VectorRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Records whose vectors form gaussian clusters on the unit sphere, as real embeddings of a corpus do:
 * uniformly random vectors make every neighbour almost equally far and flatter HNSW's recall.
 */
final class ClusteredVectors {
    private ClusteredVectors() {
    }

    /**
     * {@code count} unit vectors around {@code clusters} random centres; fixed by {@code seed}. {@code spread} is
     * the expected length of the noise added to a (unit) centre, whatever the dimension: 0.5 puts members at a
     * cosine of about 0.9 from their centre.
     */
    static List<float[]> vectors(int count, int dimension, int clusters, double spread, long seed) {
        double sigma = spread / Math.sqrt(dimension);
        Random random = new Random(seed);
        List<float[]> centres = new ArrayList<>();
        for (int c = 0; c < clusters; c++) {
            centres.add(unit(gaussian(random, dimension, 1.0)));
        }
        List<float[]> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            float[] centre = centres.get(random.nextInt(clusters));
            float[] noise = gaussian(random, dimension, sigma);
            float[] v = new float[dimension];
            for (int d = 0; d < dimension; d++) {
                v[d] = centre[d] + noise[d];
            }
            out.add(unit(v));
        }
        return out;
    }

    /** Records {@code t<tenant>/doc-<n>} over {@code tenants} tenants, in key order, with these vectors. */
    static List<VectorRecord> records(EmbeddingModel model, List<float[]> vectors, int tenants) {
        List<VectorRecord> out = new ArrayList<>(vectors.size());
        for (int i = 0; i < vectors.size(); i++) {
            String tenant = "t" + (i % tenants);
            out.add(VectorRecord.of(tenant, String.format("doc-%07d", i), "text of record " + i,
                    Map.of("parity", i % 2 == 0 ? "even" : "odd"), model, vectors.get(i)));
        }
        out.sort((a, b) -> RecordKeys.compare(a.tenant(), a.id(), b.tenant(), b.id()));
        return out;
    }

    private static float[] gaussian(Random random, int dimension, double sigma) {
        float[] v = new float[dimension];
        for (int d = 0; d < dimension; d++) {
            v[d] = (float) (random.nextGaussian() * sigma);
        }
        return v;
    }

    private static float[] unit(float[] v) {
        double n = 0;
        for (float x : v) {
            n += (double) x * x;
        }
        float inv = (float) (1 / Math.sqrt(n));
        for (int d = 0; d < v.length; d++) {
            v[d] *= inv;
        }
        return v;
    }
}
