package dev.nyla.sync.lucene;

import dev.nyla.sync.DimensionMismatchException;
import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.Similarity;
import dev.nyla.sync.store.SearchHit;
import dev.nyla.sync.store.SearchRequest;
import dev.nyla.sync.store.internal.TopK;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.lucene.document.Document;
import org.apache.lucene.index.DocValues;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.KnnVectorValues;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.index.SortedDocValues;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreMode;
import org.apache.lucene.search.Scorer;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.Weight;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.BytesRef;

/**
 * Top-k search on one served generation: {@linkplain #candidates candidates} from the HNSW graph (or an
 * exact scan when the tenant and filter match few records), then re-scored with the full-precision vectors on
 * the API's scale and ordered by score, ties by id, as every store orders them.
 */
final class Searches {
    private Searches() {
    }

    static List<SearchHit> search(Serving serving, SearchRequest request, LuceneOptions options) throws IOException {
        EmbeddingModel model = serving.generation().model();
        if (request.vector().length != model.dimension()) {
            throw new DimensionMismatchException("query vector for " + model.id(), model.dimension(),
                    request.vector().length);
        }
        Similarity similarity = model.similarity();
        float[] query = Schema.indexedVector(request.vector(), similarity);
        IndexSearcher searcher = serving.searcher();
        Query filter = Schema.filter(request.tenant(), request.filter());
        int wanted = candidates(request.k(), options);
        int matching = searcher.count(filter);
        if (matching == 0) {
            return List.of();
        }
        int[] docs;
        // A graph walk for at least as many candidates as there are matching records would visit them all
        // anyway: scanning them is exact and cheaper.
        if (matching <= Math.max(wanted, options.exactSearchThreshold())) {
            docs = exactCandidates(searcher, filter, query, similarity, wanted);
        } else {
            TopDocs top = searcher.search(new KnnFloatVectorQuery(Schema.VECTOR, query, wanted, filter), wanted);
            docs = new int[top.scoreDocs.length];
            for (int i = 0; i < docs.length; i++) {
                docs[i] = top.scoreDocs[i].doc;
            }
        }
        List<Scored> rescored = rescore(searcher, docs, request.vector(), similarity);
        // Best first, ties by id: one tenant's keys share the tenant prefix, so their UTF-8 order is the ids'
        // code-point order (RecordKeys order).
        rescored.sort(BEST_FIRST);
        return hits(searcher, rescored.subList(0, Math.min(request.k(), rescored.size())));
    }

    /**
     * How many candidates the graph is searched for (its beam, HNSW's {@code ef}) and re-scored exactly:
     * {@code max(k × overFetch, minCandidates)}, at most {@code 4 × SearchRequest.MAX_K}. The floor is what makes
     * small {@code k} exact on real embeddings: a walk for {@code k × overFetch} = 12 candidates at {@code k = 3}
     * stops in a local neighbourhood and misses true neighbours that a wider beam finds.
     */
    static int candidates(int k, LuceneOptions options) {
        long wanted = Math.max((long) k * options.overFetch(), options.minCandidates());
        return (int) Math.min(SearchRequest.MAX_K * 4L, wanted);
    }

    /** A candidate (global doc id) and its score; its key breaks ties the way results are ordered (by id). */
    private record Scored(int doc, float score, BytesRef key) {
    }

    /** Best first: higher score, then among equal scores the smaller key. */
    private static final Comparator<Scored> BEST_FIRST = Comparator.comparingDouble(Scored::score).reversed()
            .thenComparing(Scored::key);

    /** Scores every matching document with SIMD arithmetic and keeps the best {@code wanted}. */
    private static int[] exactCandidates(IndexSearcher searcher, Query filter, float[] query, Similarity similarity,
                                         int wanted) throws IOException {
        Weight weight = searcher.createWeight(searcher.rewrite(filter), ScoreMode.COMPLETE_NO_SCORES, 1f);
        TopK<Scored> best = new TopK<>(wanted, BEST_FIRST);
        for (LeafReaderContext leaf : searcher.getIndexReader().leaves()) {
            Scorer scorer = weight.scorer(leaf);
            FloatVectorValues vectors = leaf.reader().getFloatVectorValues(Schema.VECTOR);
            if (scorer == null || vectors == null) {
                continue;
            }
            SortedDocValues keys = DocValues.getSorted(leaf.reader(), Schema.KEY);
            Bits live = leaf.reader().getLiveDocs();
            KnnVectorValues.DocIndexIterator it = vectors.iterator();
            DocIdSetIterator docs = scorer.iterator();
            for (int doc = docs.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = docs.nextDoc()) {
                if ((live != null && !live.get(doc)) || it.advance(doc) != doc) {
                    continue;
                }
                float score = Schema.quickScore(similarity, query, vectors.vectorValue(it.index()));
                // Most documents lose to the worst kept: skip them before copying their key.
                if (best.full() && score < best.worst().score()) {
                    continue;
                }
                BytesRef key = keys.advanceExact(doc) ? BytesRef.deepCopyOf(keys.lookupOrd(keys.ordValue())) : new BytesRef();
                best.offer(new Scored(leaf.docBase + doc, score, key));
            }
        }
        return best.best().stream().mapToInt(Scored::doc).toArray();
    }

    /**
     * The candidates with their exact scores against the original query vector, and their keys for the order
     * of ties. Only vectors and doc values are read here: stored fields (text, metadata) cost a block
     * decompression each and are loaded for the returned hits alone ({@link #hits}).
     */
    private static List<Scored> rescore(IndexSearcher searcher, int[] docs, float[] query, Similarity similarity)
            throws IOException {
        int[] sorted = docs.clone();
        java.util.Arrays.sort(sorted);
        List<LeafReaderContext> leaves = searcher.getIndexReader().leaves();
        List<Scored> out = new ArrayList<>(sorted.length);
        int leafIndex = -1;
        FloatVectorValues vectors = null;
        KnnVectorValues.DocIndexIterator it = null;
        SortedDocValues keys = null;
        for (int global : sorted) {
            int li = ReaderUtil.subIndex(global, leaves);
            LeafReaderContext leaf = leaves.get(li);
            if (li != leafIndex) {
                leafIndex = li;
                vectors = leaf.reader().getFloatVectorValues(Schema.VECTOR);
                it = vectors.iterator();
                keys = DocValues.getSorted(leaf.reader(), Schema.KEY);
            }
            int doc = global - leaf.docBase;
            if (it.docID() > doc || it.advance(doc) != doc) {
                throw new IllegalStateException("generation index: document " + global + " (segment " + li
                        + ") has no vector in " + Schema.VECTOR);
            }
            float score = similarity.score(query, vectors.vectorValue(it.index()));
            // A document without a key (an index another program wrote) still answers; it sorts first among ties.
            BytesRef key = keys.advanceExact(doc) ? BytesRef.deepCopyOf(keys.lookupOrd(keys.ordValue())) : new BytesRef();
            out.add(new Scored(global, score, key));
        }
        return out;
    }

    /** The hits of {@code best} (in that order), with their stored fields read in document order. */
    private static List<SearchHit> hits(IndexSearcher searcher, List<Scored> best) throws IOException {
        Integer[] byDoc = new Integer[best.size()];
        for (int i = 0; i < byDoc.length; i++) {
            byDoc[i] = i;
        }
        java.util.Arrays.sort(byDoc, Comparator.comparingInt(i -> best.get(i).doc()));
        List<LeafReaderContext> leaves = searcher.getIndexReader().leaves();
        SearchHit[] hits = new SearchHit[best.size()];
        int leafIndex = -1;
        StoredFields stored = null;
        for (int rank : byDoc) {
            Scored s = best.get(rank);
            int li = ReaderUtil.subIndex(s.doc(), leaves);
            if (li != leafIndex) {
                leafIndex = li;
                stored = leaves.get(li).reader().storedFields();
            }
            Document d = stored.document(s.doc() - leaves.get(li).docBase);
            hits[rank] = new SearchHit(d.get(Schema.TENANT), d.get(Schema.ID), s.score(), d.get(Schema.TEXT),
                    Schema.metadata(d.get(Schema.METADATA)));
        }
        return List.of(hits);
    }
}
