package dev.nyla.sync.benchmarks;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.corpus.SeedIndex;
import dev.nyla.sync.internal.Writeback;
import dev.nyla.sync.store.SearchHit;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.zip.GZIPOutputStream;

/**
 * Benchmark data. The main generator draws <em>clustered</em> unit vectors: real embeddings of a knowledge
 * base are not uniform on the sphere but bunched by topic, and HNSW recall, quantization error and
 * compression all depend on that. Every generator is deterministic for a seed.
 */
final class Vectors {
    /** Topics: the number of cluster centres, for every size (a knowledge base has many topics, not n/10). */
    static final int CLUSTERS = 256;
    /**
     * The length of a point's gaussian offset from its centre before normalization: 1.0 puts a point at a
     * cosine of about 0.71 from its centre and two points of one cluster at about 0.5, which is where
     * MiniLM puts paragraphs on one topic.
     */
    static final double SPREAD = 1.0;

    /**
     * The version of these generators: part of the names of kept data (releases, indexes), so that a change
     * here is never measured against data made by the old code. Raise it with every change to the output.
     */
    static final int VERSION = 2;

    private Vectors() {
    }

    /** A random direction: gaussian components, normalized. */
    static float[] unit(Random random, int dimension) {
        float[] v = new float[dimension];
        for (int i = 0; i < dimension; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return normalize(v);
    }

    /**
     * {@code count} unit vectors in {@link #CLUSTERS} gaussian clusters on the unit sphere. The same seed gives
     * the same vectors; {@link #queries} draws from the same clusters.
     */
    static float[][] clustered(int count, int dimension, long seed) {
        return around(centres(dimension, seed), count, new SplittableRandom(seed * 31 + 1));
    }

    /** Query vectors from the clusters of {@link #clustered} with the same seed, but not among its points. */
    static float[][] queries(int count, int dimension, long seed) {
        return around(centres(dimension, seed), count, new SplittableRandom(seed * 31 + 2));
    }

    /**
     * More points of the clusters of {@link #clustered} with {@code clusterSeed}, drawn with {@code seed}: new
     * embeddings of edited texts on the same topics.
     */
    static float[][] morePoints(int count, int dimension, long clusterSeed, long seed) {
        return around(centres(dimension, clusterSeed), count, new SplittableRandom(seed * 31 + 3));
    }

    private static float[][] around(float[][] centres, int count, SplittableRandom random) {
        float[][] out = new float[count][];
        for (int i = 0; i < count; i++) {
            out[i] = around(centres[random.nextInt(centres.length)], random);
        }
        return out;
    }

    private static float[][] centres(int dimension, long seed) {
        Random random = new Random(seed);
        float[][] centres = new float[CLUSTERS][];
        for (int c = 0; c < CLUSTERS; c++) {
            centres[c] = unit(random, dimension);
        }
        return centres;
    }

    private static float[] around(float[] centre, SplittableRandom random) {
        int d = centre.length;
        double sigma = SPREAD / Math.sqrt(d);
        float[] v = new float[d];
        for (int i = 0; i < d; i++) {
            v[i] = (float) (centre[i] + sigma * gaussian(random));
        }
        return normalize(v);
    }

    /** A standard normal deviate (Marsaglia's polar method; SplittableRandom has no nextGaussian before 17). */
    private static double gaussian(SplittableRandom random) {
        double u;
        double v;
        double s;
        do {
            u = random.nextDouble(-1, 1);
            v = random.nextDouble(-1, 1);
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        return u * Math.sqrt(-2 * Math.log(s) / s);
    }

    private static float[] normalize(float[] v) {
        double norm = 0;
        for (float x : v) {
            norm += x * x;
        }
        float inv = (float) (1 / Math.sqrt(norm));
        for (int i = 0; i < v.length; i++) {
            v[i] *= inv;
        }
        return v;
    }

    /** The id of the {@code i}-th record: fixed width, so that key order is index order. */
    static String id(int i) {
        return String.format(java.util.Locale.ROOT, "doc-%07d", i);
    }

    /** The indexes {@link #id} made the ids of {@code hits} from, in the hits' order. */
    static int[] indexes(List<SearchHit> hits) {
        int[] out = new int[hits.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = Integer.parseInt(hits.get(i).id().substring("doc-".length()));
        }
        return out;
    }

    /** Records of the default tenant over {@code vectors}, in key order. */
    static List<VectorRecord> records(EmbeddingModel model, float[][] vectors) {
        List<VectorRecord> out = new ArrayList<>(vectors.length);
        for (int i = 0; i < vectors.length; i++) {
            out.add(VectorRecord.of(VectorRecord.DEFAULT_TENANT, id(i), "text of chunk " + i, Map.of(), model,
                    vectors[i]));
        }
        return out;
    }

    /**
     * The next version of {@code v1}: a {@code fraction} of the records, spread evenly (the worst case for a
     * store whose files follow key order), edited and re-embedded with a new vector from the clusters of
     * {@code clusterSeed} (the seed {@code v1}'s vectors were drawn with).
     */
    static List<VectorRecord> changed(List<VectorRecord> v1, EmbeddingModel model, double fraction, long clusterSeed,
                                      long seed) {
        int step = Math.max(1, (int) Math.round(1 / fraction));
        int count = (v1.size() + step - 1) / step;
        float[][] fresh = morePoints(count, model.dimension(), clusterSeed, seed);
        List<VectorRecord> v2 = new ArrayList<>(v1);
        for (int i = 0, n = 0; i < v1.size(); i += step, n++) {
            v2.set(i, VectorRecord.of(VectorRecord.DEFAULT_TENANT, v1.get(i).id(), "edited chunk " + i, Map.of(), model,
                    fresh[n]));
        }
        return v2;
    }

    /**
     * Writes {@code records} as the seed design's JSON index ({@code {"embeddingModel":…,"chunks":[{"id","text",
     * "embedding":[…]}]}}), gzip-compressed: the input of the seed-design baseline, read by {@link SeedIndex}.
     */
    static void writeSeedJsonGz(Path file, String modelName, List<VectorRecord> records) throws IOException {
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file), 1 << 16);
             JsonGenerator g = new JsonFactory().createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("embeddingModel", modelName);
            g.writeArrayFieldStart("chunks");
            for (VectorRecord r : records) {
                g.writeStartObject();
                g.writeStringField("id", r.id());
                g.writeStringField("text", r.text());
                g.writeArrayFieldStart("embedding");
                for (float f : r.vector()) {
                    g.writeNumber(f);
                }
                g.writeEndArray();
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        }
    }

    /**
     * Where benchmarks keep data that is slow to make and safe to reuse (embedded corpora, prebuilt indexes):
     * {@code $NYLA_BENCH_DATA}, else {@code nyla-bench-data} in the temporary directory.
     */
    static Path dataDirectory() throws IOException {
        String env = System.getenv("NYLA_BENCH_DATA");
        Path dir = env == null || env.isBlank() ? Path.of(System.getProperty("java.io.tmpdir"), "nyla-bench-data")
                : Path.of(env);
        return Files.createDirectories(dir.toAbsolutePath());
    }

    /**
     * The physical limit of "download and verify": copies {@code from} to the new file {@code to} while
     * hashing it into {@code sha}, then forces it to disk. With {@code writeback}, the disk writes the copy
     * while the rest is read and hashed ({@link Writeback}, as the sync client's downloads do), so the force
     * at the end waits for the last bytes only. Returns the bytes copied.
     */
    static long copyHashForce(Path from, Path to, MessageDigest sha, boolean writeback) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(1 << 16);
        long total = 0;
        try (FileChannel in = FileChannel.open(from);
             FileChannel out = FileChannel.open(to, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
             Writeback background = Writeback.of(out, to.toString())) {
            while (in.read(buf) >= 0) {
                buf.flip();
                sha.update(buf.array(), 0, buf.limit());
                int n = buf.limit();
                while (buf.hasRemaining()) {
                    total += out.write(buf);
                }
                if (writeback) {
                    background.written(n);
                }
                buf.clear();
            }
            background.finish();
            out.force(true);
        }
        return total;
    }
}
