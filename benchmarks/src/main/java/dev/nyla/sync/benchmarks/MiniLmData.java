package dev.nyla.sync.benchmarks;

import dev.nyla.sync.ContentHash;
import dev.nyla.sync.djl.DjlEmbedder;
import dev.nyla.sync.internal.DurableFiles;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Real embeddings: the {@link CorpusTexts} paragraphs embedded by all-MiniLM-L6-v2 ({@link DjlEmbedder}), the
 * first {@code count} as the data and the next {@code queries} as queries (held out of the data, as real
 * questions are). Embedding 10,000 paragraphs takes about a minute on 2 cores, so the vectors are kept in
 * the {@linkplain Vectors#dataDirectory() data directory}, keyed by a hash of the texts.
 */
record MiniLmData(List<String> texts, float[][] vectors, float[][] queries) {
    private static final int MAGIC = 0x4e4d4c31; // "NML1"

    static MiniLmData load(int count, int queries) throws IOException {
        List<String> all = CorpusTexts.paragraphs(count + queries);
        String key = ContentHash.sha256Hex(String.join("\n", all).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        Path file = Vectors.dataDirectory().resolve("minilm-" + count + "-" + queries + ".f32");
        float[][] vectors = read(file, key, all.size());
        if (vectors == null) {
            System.out.printf("embedding %,d javadoc paragraphs with all-MiniLM-L6-v2 (once; kept in %s)%n",
                    all.size(), file);
            try (DjlEmbedder embedder = DjlEmbedder.builder()
                    .cacheDirectory(Vectors.dataDirectory().resolve("djl-cache")).batchSize(32).build()) {
                vectors = embedder.embed(all).toArray(float[][]::new);
            }
            write(file, key, vectors);
        }
        float[][] data = new float[count][];
        float[][] q = new float[queries][];
        System.arraycopy(vectors, 0, data, 0, count);
        System.arraycopy(vectors, count, q, 0, queries);
        return new MiniLmData(all.subList(0, count), data, q);
    }

    private static float[][] read(Path file, String key, int count) throws IOException {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
            if (in.readInt() != MAGIC || !in.readUTF().equals(key) || in.readInt() != count) {
                return null; // another JDK's sources, or another format: embed again
            }
            int dimension = in.readInt();
            float[][] out = new float[count][dimension];
            for (float[] v : out) {
                for (int d = 0; d < dimension; d++) {
                    v[d] = in.readFloat();
                }
            }
            return out;
        }
    }

    private static void write(Path file, String key, float[][] vectors) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(16 + 4 * vectors.length * vectors[0].length);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(MAGIC);
            out.writeUTF(key);
            out.writeInt(vectors.length);
            out.writeInt(vectors[0].length);
            for (float[] v : vectors) {
                for (float f : v) {
                    out.writeFloat(f);
                }
            }
        }
        DurableFiles.writeAtomically(file, bytes.toByteArray());
    }
}
