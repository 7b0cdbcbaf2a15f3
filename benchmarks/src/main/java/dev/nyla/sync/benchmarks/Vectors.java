package dev.nyla.sync.benchmarks;

import java.util.Random;

/** Benchmark data: dense random unit vectors, which, like real embeddings, do not compress. */
final class Vectors {
    private Vectors() {
    }

    /** A random direction: gaussian components, normalized. */
    static float[] unit(Random random, int dimension) {
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
}
