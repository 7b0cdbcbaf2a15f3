package dev.nyla.sync.benchmarks;

import java.util.Arrays;
import org.apache.lucene.util.VectorUtil;

/**
 * The exact brute-force baseline: every vector scored against the query with Lucene's SIMD dot product
 * (the vectors are unit length, so the dot product is the cosine), the top k kept in a small heap. No
 * index, no I/O: the best a scan can do in this JVM.
 */
final class Exact {
    private Exact() {
    }

    /** The indexes of the {@code k} vectors nearest {@code query}, best first. */
    static int[] topK(float[][] vectors, float[] query, int k) {
        int[] ids = new int[k];
        float[] scores = new float[k];
        int size = 0;
        for (int i = 0; i < vectors.length; i++) {
            float s = VectorUtil.dotProduct(vectors[i], query);
            if (size < k) {
                ids[size] = i;
                scores[size] = s;
                siftUp(ids, scores, size++);
            } else if (s > scores[0]) {
                ids[0] = i;
                scores[0] = s;
                siftDown(ids, scores, size);
            }
        }
        // Drain the min-heap: worst first, so fill from the back.
        int[] out = new int[size];
        for (int n = size; n > 0; n--) {
            out[n - 1] = ids[0];
            ids[0] = ids[n - 1];
            scores[0] = scores[n - 1];
            siftDown(ids, scores, n - 1);
        }
        return out;
    }

    /** The fraction of {@code exact}'s ids that {@code found} holds. */
    static double overlap(int[] exact, int[] found) {
        int[] sorted = found.clone();
        Arrays.sort(sorted);
        int hits = 0;
        for (int id : exact) {
            if (Arrays.binarySearch(sorted, id) >= 0) {
                hits++;
            }
        }
        return (double) hits / exact.length;
    }

    private static void siftUp(int[] ids, float[] scores, int i) {
        while (i > 0) {
            int parent = (i - 1) / 2;
            if (scores[parent] <= scores[i]) {
                return;
            }
            swap(ids, scores, i, parent);
            i = parent;
        }
    }

    private static void siftDown(int[] ids, float[] scores, int size) {
        int i = 0;
        while (true) {
            int l = 2 * i + 1;
            int r = l + 1;
            int smallest = i;
            if (l < size && scores[l] < scores[smallest]) {
                smallest = l;
            }
            if (r < size && scores[r] < scores[smallest]) {
                smallest = r;
            }
            if (smallest == i) {
                return;
            }
            swap(ids, scores, i, smallest);
            i = smallest;
        }
    }

    private static void swap(int[] ids, float[] scores, int a, int b) {
        int t = ids[a];
        ids[a] = ids[b];
        ids[b] = t;
        float s = scores[a];
        scores[a] = scores[b];
        scores[b] = s;
    }
}
