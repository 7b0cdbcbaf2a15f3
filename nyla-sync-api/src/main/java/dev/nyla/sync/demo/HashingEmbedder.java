package dev.nyla.sync.demo;

import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.Similarity;
import dev.nyla.sync.embed.Embedder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A model-free embedder: a bag of words and word pairs (common English stop words left out) hashed into a
 * fixed number of dimensions (the "hashing trick"), weighted by {@code 1 + log(count)} and normalized to
 * unit length.
 *
 * <p>It captures lexical overlap, not meaning: "install the knowledge base" is close to "knowledge base
 * install", not to "set up the docs". It needs no model files, is deterministic across machines and JVMs,
 * and is fast, which makes it right for tests and demos, and wrong for semantic search (use a real model
 * such as the DJL embedder for that).
 *
 * <p>Not part of the API: a demo and test helper, in a package the module exports only to the command line.
 */
public final class HashingEmbedder implements Embedder {

    /** The default dimension, the same as all-MiniLM-L6-v2's so that stores can be sized alike. */
    public static final int DEFAULT_DIMENSION = 384;

    /** Words too common to say anything about a text; they would make every pair of texts look alike. */
    private static final java.util.Set<String> STOP_WORDS = java.util.Set.of("a", "an", "and", "are", "as", "at", "be",
            "by", "do", "does", "for", "from", "how", "i", "if", "in", "is", "it", "of", "on", "or", "that", "the",
            "this", "to", "was", "what", "when", "where", "which", "who", "why", "with", "you");

    private final EmbeddingModel model;

    /** A hashing embedder with {@link #DEFAULT_DIMENSION} dimensions. */
    public HashingEmbedder() {
        this(DEFAULT_DIMENSION);
    }

    /** A hashing embedder with {@code dimension} dimensions. */
    public HashingEmbedder(int dimension) {
        this.model = new EmbeddingModel("nyla-hashing-bow", dimension, Similarity.COSINE, true,
                "nyla-hashing-bow-v3/" + dimension);
    }

    @Override
    public EmbeddingModel model() {
        return model;
    }

    @Override
    public List<float[]> embed(List<String> texts) {
        List<float[]> out = new ArrayList<>(texts.size());
        for (String text : texts) {
            out.add(embedOne(text));
        }
        return out;
    }

    @Override
    public int preferredBatchSize() {
        return 256;
    }

    private float[] embedOne(String text) {
        Map<String, Integer> counts = new HashMap<>();
        String previous = null;
        for (String token : text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
            if (token.isEmpty() || STOP_WORDS.contains(token)) {
                continue;
            }
            counts.merge(token, 1, Integer::sum);
            if (previous != null) {
                counts.merge(previous + ' ' + token, 1, Integer::sum);
            }
            previous = token;
        }
        if (counts.isEmpty()) {
            // A text without words still needs a direction: cosine is undefined for the zero vector.
            counts.put("", 1);
        }
        float[] v = new float[model.dimension()];
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
            long h = fnv1a64(e.getKey());
            int index = (int) Long.remainderUnsigned(h, v.length);
            float sign = (h >>> 63) == 0 ? 1f : -1f;
            v[index] += sign * (float) (1 + Math.log(e.getValue()));
        }
        double norm = 0;
        for (float x : v) {
            norm += (double) x * x;
        }
        float inv = (float) (1 / Math.sqrt(norm));
        for (int i = 0; i < v.length; i++) {
            v[i] *= inv;
        }
        return v;
    }

    private static long fnv1a64(String s) {
        long h = 0xcbf29ce484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        // FNV's low bits mix poorly for short keys; a final avalanche (from SplitMix64) spreads them.
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        return h;
    }
}
