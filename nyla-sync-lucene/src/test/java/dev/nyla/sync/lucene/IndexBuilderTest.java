package dev.nyla.sync.lucene;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.DimensionMismatchException;
import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.Similarity;
import dev.nyla.sync.TestData;
import dev.nyla.sync.VectorRecord;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.lucene.codecs.KnnVectorsReader;
import org.apache.lucene.codecs.hnsw.HnswGraphProvider;
import org.apache.lucene.codecs.perfield.PerFieldKnnVectorsFormat;
import org.apache.lucene.index.CodecReader;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.SortedDocValues;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.store.Directory;
import org.junit.jupiter.api.Test;

/**
 * An index built from scratch on several threads ends in the shape a single-threaded build has: one
 * segment, documents in key order, one HNSW graph over every vector, with the recall of a graph; and the
 * builder leaves no thread behind. Speed is the benchmarks' business ({@code InstallBenchmark}).
 */
class IndexBuilderTest {
    private static final int DIM = 32;
    private static final EmbeddingModel MODEL = TestData.model(DIM, Similarity.COSINE);
    private static final String MERGE_THREAD = "nyla-lucene-merge";
    /** Candidates a recall check asks the graph for: the store's default {@code minCandidates}. */
    private static final int CANDIDATES = 100;

    @Test
    void aRebuildOnTwoThreadsOfManyFlushesEndsAsOneSegmentWithOneGraphInKeyOrder() throws IOException {
        // A 1 MiB buffer flushes every few hundred records: many segments without graphs to merge into one.
        LuceneOptions options = LuceneOptions.DEFAULTS.withBuildThreads(2).withRamBufferMb(1);
        List<float[]> vectors = ClusteredVectors.vectors(6_000, DIM, 40, 0.6, 5);
        List<VectorRecord> records = ClusteredVectors.records(MODEL, vectors.subList(0, 5_000), 1);
        try (Directory dir = new ByteBuffersDirectory()) {
            build(dir, options, records);
            try (DirectoryReader reader = DirectoryReader.open(dir)) {
                assertEquals(1, reader.leaves().size(), "segments");
                LeafReader leaf = reader.leaves().getFirst().reader();
                assertEquals(records.size(), graphSize(leaf), "nodes of the segment's graph");
                SortedDocValues keys = leaf.getSortedDocValues(Schema.KEY);
                for (int doc = 0; doc < records.size(); doc++) {
                    assertTrue(keys.advanceExact(doc));
                    assertEquals(Schema.key(records.get(doc).tenant(), records.get(doc).id()), keys.lookupOrd(keys.ordValue()),
                            "key of document " + doc);
                }
                double recall = recallAt10(reader, records, vectors.subList(5_000, 6_000));
                assertTrue(recall >= 0.95, "recall@10 of the graph alone: " + recall);
            }
        }
        assertNoMergeThreadOutlives();
    }

    @Test
    void aRebuildThatFitsOneFlushStillGetsItsGraph() throws IOException {
        // One flushed segment needs no merge to be one segment, but its graph is only built by a merge.
        List<VectorRecord> records = ClusteredVectors.records(MODEL, ClusteredVectors.vectors(1_000, DIM, 10, 0.6, 7), 1);
        try (Directory dir = new ByteBuffersDirectory()) {
            build(dir, LuceneOptions.DEFAULTS.withBuildThreads(2), records);
            try (DirectoryReader reader = DirectoryReader.open(dir)) {
                assertEquals(1, reader.leaves().size(), "segments");
                LeafReader leaf = reader.leaves().getFirst().reader();
                assertEquals(records.size(), graphSize(leaf), "nodes of the segment's graph");
                assertEquals(IndexWriter.SOURCE_MERGE,
                        ((org.apache.lucene.index.SegmentReader) leaf).getSegmentInfo().info.getDiagnostics()
                                .get(IndexWriter.SOURCE));
            }
        }
    }

    @Test
    void withGraphsWhenMergingAddedDocumentsGetNoGraphAndTheMergeBuildsIt() throws IOException {
        // The mechanism the rebuild rests on: were added segments given graphs, the work would stay on the
        // adding thread, and the merge would only merge graphs.
        List<VectorRecord> records = ClusteredVectors.records(MODEL, ClusteredVectors.vectors(1_000, DIM, 10, 0.6, 3), 1);
        try (Directory dir = new ByteBuffersDirectory();
             IndexWriter w = new IndexWriter(dir, new IndexWriterConfig()
                     .setCodec(IndexBuilder.codec(LuceneOptions.DEFAULTS, 1, null, true))
                     .setIndexSort(Schema.INDEX_SORT))) {
            for (VectorRecord r : records) {
                w.addDocument(Schema.document(r, MODEL.fingerprint(), MODEL.similarity()));
            }
            w.commit();
            try (DirectoryReader reader = DirectoryReader.open(dir)) {
                assertEquals(0, graphSize(reader.leaves().getFirst().reader()), "graph of the added segment");
            }
            w.addDocument(Schema.document(VectorRecord.of("t1", "x", "", Map.of(), MODEL, records.getFirst().vector()),
                    MODEL.fingerprint(), MODEL.similarity()));
            w.forceMerge(1);
            w.commit();
            try (DirectoryReader reader = DirectoryReader.open(dir)) {
                assertEquals(records.size() + 1, graphSize(reader.leaves().getFirst().reader()), "graph after the merge");
            }
        }
    }

    @Test
    void aRebuildSplitByTheHeapBoundGivesEverySegmentItsGraph() throws IOException {
        // Where the heap cannot hold one graph of everything, the forced merge packs the graphless flushed
        // segments into a few merged ones: a flushed segment alone in its pack must be rewritten too, or it
        // would stay without a graph (searched by a scan, not the graph).
        List<VectorRecord> records = ClusteredVectors.records(MODEL, ClusteredVectors.vectors(3_000, DIM, 10, 0.6, 5), 1);
        // Segments large enough for Lucene to give them a graph at all (it leaves tiny ones without).
        int bound = 1_500;
        try (Directory dir = new ByteBuffersDirectory();
             IndexWriter w = new IndexWriter(dir, new IndexWriterConfig()
                     .setCodec(IndexBuilder.codec(LuceneOptions.DEFAULTS, 1, null, true))
                     .setIndexSort(Schema.INDEX_SORT)
                     .setMergePolicy(new HeapBoundedMergePolicy(new RebuildMergePolicy(), bound)))) {
            // Three flushed segments of 1,000 documents: no two fit one merged segment of 1,500.
            for (int i = 0; i < records.size(); i++) {
                w.addDocument(Schema.document(records.get(i), MODEL.fingerprint(), MODEL.similarity()));
                if (i % 1_000 == 999) {
                    w.flush();
                }
            }
            w.forceMerge(1);
            w.commit();
            try (DirectoryReader reader = DirectoryReader.open(dir)) {
                assertEquals(3, reader.leaves().size(), "segments of at most " + bound + " documents");
                for (LeafReaderContext leaf : reader.leaves()) {
                    assertEquals(leaf.reader().maxDoc(), graphSize(leaf.reader()), "graph of " + leaf);
                }
            }
        }
    }

    @Test
    void anAbortedRebuildStopsItsThreadsAndBadInputFailsAsOnOneThread() throws IOException {
        List<VectorRecord> records = ClusteredVectors.records(MODEL, ClusteredVectors.vectors(500, DIM, 10, 0.6, 9), 1);
        try (Directory dir = new ByteBuffersDirectory();
             IndexBuilder b = new IndexBuilder(dir, MODEL, LuceneOptions.DEFAULTS.withBuildThreads(2), false, "test")) {
            for (VectorRecord r : records) {
                b.add(r);
            }
            VectorRecord last = records.getLast();
            VectorRecord wrong = VectorRecord.of(last.tenant(), last.id() + "-after", "x", Map.of(),
                    TestData.model(DIM + 1, Similarity.COSINE), new float[DIM + 1]);
            assertThrows(DimensionMismatchException.class, () -> b.add(wrong));
            assertThrows(IllegalArgumentException.class, () -> b.add(records.getFirst()), "a key out of order");
            b.abort();
        }
        assertNoMergeThreadOutlives();
    }

    private static void build(Directory dir, LuceneOptions options, List<VectorRecord> records) throws IOException {
        try (IndexBuilder b = new IndexBuilder(dir, MODEL, options, false, "test")) {
            for (VectorRecord r : records) {
                b.add(r);
            }
            assertEquals(records.size(), b.commit(true, Map.of()));
        }
    }

    private static int graphSize(LeafReader leaf) throws IOException {
        KnnVectorsReader vectors = ((CodecReader) leaf).getVectorReader();
        if (vectors instanceof PerFieldKnnVectorsFormat.FieldsReader perField) {
            vectors = perField.getFieldReader(Schema.VECTOR);
        }
        return ((HnswGraphProvider) vectors).getGraph(Schema.VECTOR).size();
    }

    /** The graph's top 10 of {@link #CANDIDATES} against the exact top 10; documents are in record order. */
    private static double recallAt10(DirectoryReader reader, List<VectorRecord> records, List<float[]> queries)
            throws IOException {
        IndexSearcher searcher = new IndexSearcher(reader);
        long found = 0;
        for (float[] q : queries) {
            Set<Integer> exact = new HashSet<>(exactTop10(records, q));
            // As the store searches: the graph asked for its default floor of 100 candidates, the best 10 kept.
            // Asked for only 10 (ef = k) a graph's recall here sits at the bound itself, and the concurrent
            // build, which is not deterministic, put it on either side of it from run to run.
            for (ScoreDoc d : searcher.search(new KnnFloatVectorQuery(Schema.VECTOR, q, CANDIDATES), 10).scoreDocs) {
                if (exact.contains(d.doc)) {
                    found++;
                }
            }
        }
        return found / (10.0 * queries.size());
    }

    private static List<Integer> exactTop10(List<VectorRecord> records, float[] q) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < records.size(); i++) {
            order.add(i);
        }
        order.sort((a, b) -> Float.compare(MODEL.similarity().score(q, records.get(b).vector()),
                MODEL.similarity().score(q, records.get(a).vector())));
        return order.subList(0, 10);
    }

    /** Joins every merge worker: one left idle in a pool that was never shut down would never end. */
    private static void assertNoMergeThreadOutlives() {
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals(MERGE_THREAD)) {
                try {
                    t.join(30_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    fail("interrupted");
                }
                assertFalse(t.isAlive(), "a merge worker still runs after the builder closed");
            }
        }
    }
}
