package dev.nyla.sync.benchmarks;

import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.VectorRecord;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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

    /** {@code count} records of the default tenant with random unit vectors, in key order. */
    static List<VectorRecord> records(EmbeddingModel model, int count, Random random) {
        List<VectorRecord> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(VectorRecord.of("default", String.format("doc-%07d", i), "text " + i, Map.of(), model,
                    unit(random, model.dimension())));
        }
        return out;
    }

    /** The next version of {@code v1}: every hundredth record edited and re-embedded (1 % changed). */
    static List<VectorRecord> onePercentChanged(List<VectorRecord> v1, EmbeddingModel model, Random random) {
        List<VectorRecord> v2 = new ArrayList<>(v1);
        for (int i = 0; i < v1.size(); i += 100) {
            v2.set(i, VectorRecord.of("default", v1.get(i).id(), "changed " + i, Map.of(), model,
                    unit(random, model.dimension())));
        }
        return v2;
    }

    /**
     * The physical limit of "download and verify": copies {@code from} to the new file {@code to} while
     * hashing it into {@code sha}, then forces it to disk. Returns the bytes copied.
     */
    static long copyHashForce(Path from, Path to, MessageDigest sha) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(1 << 16);
        long total = 0;
        try (FileChannel in = FileChannel.open(from);
             FileChannel out = FileChannel.open(to, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            while (in.read(buf) >= 0) {
                buf.flip();
                sha.update(buf.array(), 0, buf.limit());
                while (buf.hasRemaining()) {
                    total += out.write(buf);
                }
                buf.clear();
            }
            out.force(true);
        }
        return total;
    }
}
