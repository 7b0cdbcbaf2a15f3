package dev.nyla.sync.lucene;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nyla.sync.ContentHash;
import dev.nyla.sync.Similarity;
import dev.nyla.sync.VectorRecord;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import org.apache.lucene.document.BinaryDocValuesField;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.SortedDocValuesField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.Sort;
import org.apache.lucene.search.SortField;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.util.BytesRef;
import org.apache.lucene.util.VectorUtil;

/**
 * How records are laid out in a Lucene index: the one place that knows field names. An index written by
 * another program (or another Lucene version) is readable by this store when it follows this layout; see
 * {@code docs/lucene-store.md}.
 *
 * <p>Documents are sorted by {@link #KEY} (the index sort), so within every segment document order is
 * key order, and inventories stream in {@link dev.nyla.sync.RecordKeys} order from doc values without
 * sorting anything.
 */
final class Schema {
    /** The layout version, kept in every commit's user data. */
    static final String VERSION = "1";

    /** {@code tenant U+0000 id}: indexed (for updates and deletes by key) and as sorted doc values (the index sort). */
    static final String KEY = "nyla.key";
    /** The tenant: indexed, for the tenant filter and the tenant list. */
    static final String TENANT = "nyla.tenant";
    static final String ID = "nyla.id";
    static final String TEXT = "nyla.text";
    /** Metadata as a JSON object of strings, stored. */
    static final String METADATA = "nyla.metadata";
    /** The content hash as 32 raw bytes, binary doc values (read by inventories). */
    static final String HASH = "nyla.hash";
    /** The model fingerprint, sorted doc values (one value shared by nearly every document). */
    static final String MODEL = "nyla.model";
    static final String VECTOR = "nyla.vector";
    /** Prefix of the indexed field for one metadata key; long values are indexed by hash under {@link #META_HASH}. */
    static final String META = "meta.";
    static final String META_HASH = "meta#.";
    /** Longest metadata value indexed as itself, in UTF-8 bytes; Lucene's terms are limited to 32,766 bytes. */
    static final int MAX_PLAIN_TERM_BYTES = 512;

    /** Commit user data keys. */
    static final String COMMIT_SCHEMA = "nyla.schema";
    static final String COMMIT_MODEL = "nyla.model.fingerprint";
    static final String COMMIT_DIMENSION = "nyla.model.dimension";
    static final String COMMIT_SIMILARITY = "nyla.model.similarity";

    static final Sort INDEX_SORT = new Sort(new SortField(KEY, SortField.Type.STRING));

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<TreeMap<String, String>> STRING_MAP = new TypeReference<>() {
    };

    private Schema() {
    }

    static BytesRef key(String tenant, String id) {
        return new BytesRef(tenant + '\u0000' + id);
    }

    static BytesRef tenantPrefix(String tenant) {
        return new BytesRef(tenant + '\u0000');
    }

    static Term keyTerm(String tenant, String id) {
        return new Term(KEY, key(tenant, id));
    }

    /**
     * The Lucene similarity for a model's similarity. Cosine is indexed as dot product of unit vectors (what
     * Lucene recommends, and it allows a zero vector, whose cosine is defined as 0 here); a plain dot product
     * as maximum inner product, which, unlike Lucene's dot product, is correct for vectors of any length.
     */
    static VectorSimilarityFunction luceneSimilarity(Similarity similarity) {
        return switch (similarity) {
            case COSINE -> VectorSimilarityFunction.DOT_PRODUCT;
            case DOT_PRODUCT -> VectorSimilarityFunction.MAXIMUM_INNER_PRODUCT;
            case EUCLIDEAN -> VectorSimilarityFunction.EUCLIDEAN;
        };
    }

    /** The vector as indexed: unit length for cosine (a zero vector stays zero), unchanged otherwise. */
    static float[] indexedVector(float[] vector, Similarity similarity) {
        if (similarity != Similarity.COSINE) {
            return vector;
        }
        double norm2 = 0;
        for (float v : vector) {
            norm2 += (double) v * v;
        }
        if (norm2 == 0) {
            return vector;
        }
        float[] unit = new float[vector.length];
        double norm = Math.sqrt(norm2);
        for (int i = 0; i < unit.length; i++) {
            // In double: for tiny vectors 1 / norm overflows a float.
            unit[i] = (float) (vector[i] / norm);
        }
        return unit;
    }

    static Document document(VectorRecord r, String modelFingerprint, Similarity similarity) {
        Document d = new Document();
        BytesRef key = key(r.tenant(), r.id());
        d.add(new StringField(KEY, key, Field.Store.NO));
        d.add(new SortedDocValuesField(KEY, key));
        d.add(new StringField(TENANT, r.tenant(), Field.Store.YES));
        d.add(new StoredField(ID, r.id()));
        d.add(new StoredField(TEXT, r.text()));
        if (!r.metadata().isEmpty()) {
            d.add(new StoredField(METADATA, json(r.metadata())));
            r.metadata().forEach((k, v) -> d.add(metadataField(k, v)));
        }
        d.add(new BinaryDocValuesField(HASH, new BytesRef(java.util.HexFormat.of().parseHex(r.contentHash()))));
        d.add(new SortedDocValuesField(MODEL, new BytesRef(modelFingerprint)));
        d.add(new KnnFloatVectorField(VECTOR, indexedVector(r.vector(), similarity), luceneSimilarity(similarity)));
        return d;
    }

    private static Field metadataField(String key, String value) {
        return utf8Length(value) <= MAX_PLAIN_TERM_BYTES ? new StringField(META + key, value, Field.Store.NO)
                : new StringField(META_HASH + key, hashOf(value), Field.Store.NO);
    }

    /** Every record of the tenant that carries every filter entry. */
    static Query filter(String tenant, Map<String, String> entries) {
        BooleanQuery.Builder b = new BooleanQuery.Builder();
        b.add(new TermQuery(new Term(TENANT, tenant)), BooleanClause.Occur.FILTER);
        entries.forEach((k, v) -> b.add(new TermQuery(utf8Length(v) <= MAX_PLAIN_TERM_BYTES ? new Term(META + k, v)
                : new Term(META_HASH + k, hashOf(v))), BooleanClause.Occur.FILTER));
        return b.build();
    }

    static String hashHex(BytesRef raw) {
        return java.util.HexFormat.of().formatHex(raw.bytes, raw.offset, raw.offset + raw.length);
    }

    static String json(Map<String, String> metadata) {
        try {
            return JSON.writeValueAsString(new TreeMap<>(metadata));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Map<String, String> metadata(String json) {
        if (json == null) {
            return Map.of();
        }
        try {
            return JSON.readValue(json, STRING_MAP);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Dot product for unit vectors; cosine's score and the others as the API defines them. */
    static float quickScore(Similarity similarity, float[] query, float[] indexed) {
        return switch (similarity) {
            case COSINE, DOT_PRODUCT -> VectorUtil.dotProduct(query, indexed);
            case EUCLIDEAN -> 1 / (1 + VectorUtil.squareDistance(query, indexed));
        };
    }

    private static String hashOf(String value) {
        return ContentHash.sha256Hex(value.getBytes(StandardCharsets.UTF_8));
    }

    private static long utf8Length(String s) {
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            n += c < 0x80 ? 1 : c < 0x800 ? 2 : Character.isSurrogate(c) ? 2 : 3;
        }
        return n;
    }
}
