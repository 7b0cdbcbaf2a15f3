import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.apache.lucene.document.BinaryDocValuesField;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.SortedDocValuesField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.Sort;
import org.apache.lucene.search.SortField;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.BytesRef;
import org.apache.lucene.util.Version;

/**
 * Writes an index in nyla's layout (schema 1) with Lucene 9.x, for {@code Lucene9BackwardCompatibilityTest}.
 * It stands for a publisher or a third-party program still on Lucene 9: it is compiled against the Lucene
 * 9.12 jar only and runs in a JVM of its own, because Lucene 9 and 10 cannot share a class path.
 *
 * <p>The field names, field types and commit keys are written out here on purpose instead of being taken
 * from {@code Schema}: they are the layout indexes already on disk have, so a change to {@code Schema} that
 * old indexes do not follow makes the test fail, as it should.
 *
 * <p>Usage: {@code Lucene9IndexWriterMain <records file> <empty index directory> <model fingerprint>
 * <dimension> <similarity wire name> <Lucene VectorSimilarityFunction name>}.
 *
 * <p>The records file is UTF-8, one record a line, six fields separated by tabs:
 * {@code tenant, id, text, metadata, content hash (64 hex digits), vector}. Metadata is {@code key=value}
 * pairs separated by commas, empty for none; the vector is floats separated by commas, as indexed (the
 * test normalizes them for cosine). No field contains a tab, and metadata no {@code =} or {@code ,}.
 *
 * <p>Exit status 0 when the index is committed, 1 on any failure (with the stack trace), 2 on bad usage.
 */
public final class Lucene9IndexWriterMain {
    private static final String KEY = "nyla.key";
    private static final String TENANT = "nyla.tenant";
    private static final String ID = "nyla.id";
    private static final String TEXT = "nyla.text";
    private static final String METADATA = "nyla.metadata";
    private static final String HASH = "nyla.hash";
    private static final String MODEL = "nyla.model";
    private static final String VECTOR = "nyla.vector";
    private static final String META = "meta.";

    private Lucene9IndexWriterMain() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 6) {
            System.err.println("usage: Lucene9IndexWriterMain <records file> <empty index directory> "
                    + "<model fingerprint> <dimension> <similarity> <Lucene similarity>");
            System.exit(2);
        }
        Path records = Path.of(args[0]);
        Path indexDir = Path.of(args[1]);
        String fingerprint = args[2];
        int dimension = Integer.parseInt(args[3]);
        String similarity = args[4];
        VectorSimilarityFunction luceneSimilarity = VectorSimilarityFunction.valueOf(args[5]);
        try {
            long written = write(records, indexDir, fingerprint, dimension, similarity, luceneSimilarity);
            System.out.println("Lucene " + Version.LATEST + ": wrote " + written + " documents to " + indexDir);
        } catch (IOException | RuntimeException e) {
            e.printStackTrace();
            System.exit(1);
        }
    }

    private static long write(Path records, Path indexDir, String fingerprint, int dimension, String similarity,
                              VectorSimilarityFunction luceneSimilarity) throws IOException {
        IndexWriterConfig config = new IndexWriterConfig()
                .setOpenMode(IndexWriterConfig.OpenMode.CREATE)
                .setIndexSort(new Sort(new SortField(KEY, SortField.Type.STRING)))
                // Several flushed segments, sorted on flush and again when merged: as a real build goes.
                .setMaxBufferedDocs(100)
                .setCommitOnClose(false);
        long count = 0;
        try (Directory dir = FSDirectory.open(indexDir);
             IndexWriter writer = new IndexWriter(dir, config);
             BufferedReader in = Files.newBufferedReader(records, StandardCharsets.UTF_8)) {
            int lineNumber = 0;
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                lineNumber++;
                String[] f = line.split("\t", -1);
                if (f.length != 6) {
                    throw new IllegalArgumentException(records + " line " + lineNumber + ": expected 6 tab-separated "
                            + "fields but found " + f.length);
                }
                writer.addDocument(document(f[0], f[1], f[2], metadata(f[3]), HexFormat.of().parseHex(f[4]),
                        vector(f[5], dimension, records + " line " + lineNumber), fingerprint, luceneSimilarity));
                count++;
            }
            Map<String, String> commit = new LinkedHashMap<>();
            commit.put("nyla.schema", "1");
            commit.put("nyla.model.fingerprint", fingerprint);
            commit.put("nyla.model.dimension", Integer.toString(dimension));
            commit.put("nyla.model.similarity", similarity);
            writer.setLiveCommitData(commit.entrySet());
            // One segment, as a publisher ships a full index.
            writer.forceMerge(1);
            writer.commit();
        }
        try (Directory dir = FSDirectory.open(indexDir); DirectoryReader reader = DirectoryReader.open(dir)) {
            if (reader.numDocs() != count || reader.leaves().size() != 1) {
                throw new IllegalStateException(indexDir + ": expected " + count + " documents in 1 segment but found "
                        + reader.numDocs() + " in " + reader.leaves().size());
            }
        }
        return count;
    }

    private static Document document(String tenant, String id, String text, Map<String, String> metadata, byte[] hash,
                                     float[] vector, String fingerprint, VectorSimilarityFunction similarity) {
        Document d = new Document();
        BytesRef key = new BytesRef(tenant + '\u0000' + id);
        d.add(new StringField(KEY, key, Field.Store.NO));
        d.add(new SortedDocValuesField(KEY, key));
        d.add(new StringField(TENANT, tenant, Field.Store.YES));
        d.add(new StoredField(ID, id));
        d.add(new StoredField(TEXT, text));
        if (!metadata.isEmpty()) {
            d.add(new StoredField(METADATA, json(metadata)));
            metadata.forEach((k, v) -> d.add(new StringField(META + k, v, Field.Store.NO)));
        }
        if (hash.length != 32) {
            throw new IllegalArgumentException(tenant + "/" + id + ": expected a 32-byte content hash but was "
                    + hash.length + " bytes");
        }
        d.add(new BinaryDocValuesField(HASH, new BytesRef(hash)));
        d.add(new SortedDocValuesField(MODEL, new BytesRef(fingerprint)));
        d.add(new KnnFloatVectorField(VECTOR, vector, similarity));
        return d;
    }

    private static Map<String, String> metadata(String field) {
        Map<String, String> m = new TreeMap<>();
        if (!field.isEmpty()) {
            for (String pair : field.split(",", -1)) {
                int eq = pair.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("metadata entry '" + pair + "': expected key=value");
                }
                m.put(pair.substring(0, eq), pair.substring(eq + 1));
            }
        }
        return m;
    }

    private static float[] vector(String field, int dimension, String where) {
        String[] parts = field.split(",", -1);
        if (parts.length != dimension) {
            throw new IllegalArgumentException(where + ": expected a vector of " + dimension + " floats but found "
                    + parts.length);
        }
        float[] v = new float[dimension];
        for (int i = 0; i < dimension; i++) {
            v[i] = Float.parseFloat(parts[i]);
        }
        return v;
    }

    /** A JSON object of strings, keys in order, as Jackson writes nyla's metadata (compact). */
    private static String json(Map<String, String> metadata) {
        StringBuilder b = new StringBuilder("{");
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            if (b.length() > 1) {
                b.append(',');
            }
            quote(b, e.getKey()).append(':');
            quote(b, e.getValue());
        }
        return b.append('}').toString();
    }

    private static StringBuilder quote(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"');
    }
}
