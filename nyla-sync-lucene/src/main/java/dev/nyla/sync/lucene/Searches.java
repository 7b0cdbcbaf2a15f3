package dev.nyla.sync.lucene;

import dev.nyla.sync.DimensionMismatchException;
import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.RecordKeys;
import dev.nyla.sync.Similarity;
import dev.nyla.sync.store.SearchHit;
import dev.nyla.sync.store.SearchRequest;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
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
 * Top-k search on one served generation: candidates from the HNSW graph (or an exact scan when the tenant
 * and filter match few records), then re-scored with the full-precision vectors on the API's scale and
 * ordered by score, ties by id, as every store orders them.
 */
final class Searches {
    private Searches() {
    }

    private record Candidate(int doc, float score, String tenant, String id, String text, String metadata) {
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
        int wanted = (int) Math.min(SearchRequest.MAX_K * 4L,
                Math.max((long) request.k() * options.overFetch(), request.k() + 8L));
        int matching = searcher.count(filter);
        if (matching == 0) {
            return List.of();
        }
        int[] docs;
        if (matching <= Math.max(wanted, options.exactSearchThreshold())) {
            docs = exactCandidates(searcher, filter, query, similarity, wanted);
        } else {
            TopDocs top = searcher.search(new KnnFloatVectorQuery(Schema.VECTOR, query, wanted, filter), wanted);
            docs = new int[top.scoreDocs.length];
            for (int i = 0; i < docs.length; i++) {
                docs[i] = top.scoreDocs[i].doc;
            }
        }
        List<Candidate> rescored = rescore(searcher, docs, request.vector(), similarity);
        rescored.sort(Comparator.comparingDouble((Candidate c) -> -c.score())
                .thenComparing(Candidate::id, RecordKeys.ORDER));
        List<SearchHit> hits = new ArrayList<>(Math.min(request.k(), rescored.size()));
        for (Candidate c : rescored.subList(0, Math.min(request.k(), rescored.size()))) {
            hits.add(new SearchHit(c.tenant(), c.id(), c.score(), c.text(), Schema.metadata(c.metadata())));
        }
        return hits;
    }

    /** A candidate of the exact scan; its key breaks ties the way results are ordered (by id). */
    private record Scored(int doc, float score, BytesRef key) {
    }

    /** Worst first: lower score, then among equal scores the larger key. */
    private static final Comparator<Scored> WORST_FIRST = Comparator.comparingDouble(Scored::score)
            .thenComparing(Scored::key, Comparator.reverseOrder());

    /** Scores every matching document with SIMD arithmetic and keeps the best {@code wanted}. */
    private static int[] exactCandidates(IndexSearcher searcher, Query filter, float[] query, Similarity similarity,
                                         int wanted) throws IOException {
        Weight weight = searcher.createWeight(searcher.rewrite(filter), ScoreMode.COMPLETE_NO_SCORES, 1f);
        PriorityQueue<Scored> best = new PriorityQueue<>(WORST_FIRST);
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
                if (best.size() >= wanted && score < best.peek().score()) {
                    continue;
                }
                BytesRef key = keys.advanceExact(doc) ? BytesRef.deepCopyOf(keys.lookupOrd(keys.ordValue())) : new BytesRef();
                Scored s = new Scored(leaf.docBase + doc, score, key);
                if (best.size() < wanted) {
                    best.add(s);
                } else if (WORST_FIRST.compare(s, best.peek()) > 0) {
                    best.poll();
                    best.add(s);
                }
            }
        }
        int[] out = new int[best.size()];
        int i = 0;
        for (Scored s : best) {
            out[i++] = s.doc();
        }
        return out;
    }

    /** The candidates with their stored fields and exact scores against the original query vector. */
    private static List<Candidate> rescore(IndexSearcher searcher, int[] docs, float[] query, Similarity similarity)
            throws IOException {
        int[] sorted = docs.clone();
        java.util.Arrays.sort(sorted);
        List<LeafReaderContext> leaves = searcher.getIndexReader().leaves();
        List<Candidate> out = new ArrayList<>(sorted.length);
        int leafIndex = -1;
        FloatVectorValues vectors = null;
        KnnVectorValues.DocIndexIterator it = null;
        StoredFields stored = null;
        for (int global : sorted) {
            int li = ReaderUtil.subIndex(global, leaves);
            LeafReaderContext leaf = leaves.get(li);
            if (li != leafIndex) {
                leafIndex = li;
                vectors = leaf.reader().getFloatVectorValues(Schema.VECTOR);
                it = vectors.iterator();
                stored = leaf.reader().storedFields();
            }
            int doc = global - leaf.docBase;
            if (it.docID() > doc || it.advance(doc) != doc) {
                throw new IllegalStateException("generation index: document " + global + " (segment " + li
                        + ") has no vector in " + Schema.VECTOR);
            }
            float score = similarity.score(query, vectors.vectorValue(it.index()));
            Document d = stored.document(doc);
            out.add(new Candidate(global, score, d.get(Schema.TENANT), d.get(Schema.ID), d.get(Schema.TEXT),
                    d.get(Schema.METADATA)));
        }
        return out;
    }
}
