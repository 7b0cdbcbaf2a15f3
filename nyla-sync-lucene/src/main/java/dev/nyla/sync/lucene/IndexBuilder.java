package dev.nyla.sync.lucene;

import dev.nyla.sync.DimensionMismatchException;
import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.RecordKeys;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.store.StoreException;
import java.io.Closeable;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.lucene.codecs.Codec;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene104.Lucene104Codec;
import org.apache.lucene.codecs.lucene104.Lucene104HnswScalarQuantizedVectorsFormat;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.PostingsEnum;
import org.apache.lucene.index.SerialMergeScheduler;
import org.apache.lucene.index.Terms;
import org.apache.lucene.index.TermsEnum;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.IOContext;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.BytesRef;
import org.apache.lucene.util.quantization.QuantizedByteVectorValues.ScalarEncoding;

/**
 * Writes one index: from scratch, or on top of an index already in the directory (a base), taking records
 * in key order. Shared by the store's generation writer and the publisher's payload builder, so that what
 * a client builds from records and what a publisher ships are the same index. Built on a base with a
 * {@link SegmentPolicy} (the publisher's payloads), segments merge by it at commit, in the committing thread;
 * otherwise Lucene's default policy merges in the background, and what it has not finished when the writer
 * closes is dropped (a merge into one segment, when asked for, is waited for).
 *
 * <p>An index built from scratch with {@link LuceneOptions#buildThreads()} above 1 is written in two
 * steps. Lucene builds a segment's graph on the thread that adds its documents, and merges graphs with one
 * thread unless told otherwise, so adding records from one thread keeps one core busy however many there
 * are. Here the flushed segments get no graph at all (Lucene's tiny-segment rule, with an unreachable
 * threshold), nothing merges while records arrive ({@link RebuildMergePolicy}), and the merge into one
 * segment at commit builds the one graph with {@code buildThreads} workers (Lucene's concurrent HNSW merge).
 * One graph over all vectors is also less work than graphs per segment merged afterwards. The index ends as
 * before: one segment, documents in key order (the index sort), the configured graph.
 */
final class IndexBuilder implements Closeable {
    private final Directory directory;
    private final EmbeddingModel model;
    private final String subject;
    private final DirectoryReader base;
    private final SegmentPolicy segments;
    private final ExecutorService mergeExecutor;
    private final IndexWriter writer;
    private String lastTenant;
    private String lastId;
    private long count;
    private boolean finished;

    /**
     * @param withBase whether {@code directory} holds a committed index to build on; otherwise it must be empty
     */
    IndexBuilder(Directory directory, EmbeddingModel model, LuceneOptions options, boolean withBase, String subject)
            throws IOException {
        this(directory, model, options, withBase, subject, null);
    }

    /**
     * @param withBase whether {@code directory} holds a committed index to build on; otherwise it must be empty
     * @param segments how segments of an index built on a base merge at commit; null (the store's
     *                 generations) for Lucene's default merging
     */
    IndexBuilder(Directory directory, EmbeddingModel model, LuceneOptions options, boolean withBase, String subject,
                 SegmentPolicy segments) throws IOException {
        this.directory = directory;
        this.model = model;
        this.subject = subject;
        this.segments = segments;
        this.base = withBase ? DirectoryReader.open(directory) : null;
        this.count = withBase ? base.numDocs() : 0;
        boolean graphsWhenMerging = !withBase && options.buildThreads() > 1;
        int mergeWorkers = graphsWhenMerging ? options.buildThreads() : options.mergeThreads();
        this.mergeExecutor = mergeWorkers > 1 ? Executors.newFixedThreadPool(mergeWorkers, r -> {
            Thread t = new Thread(r, "nyla-lucene-merge");
            t.setDaemon(true);
            return t;
        }) : null;
        IndexWriterConfig config = new IndexWriterConfig()
                .setOpenMode(withBase ? IndexWriterConfig.OpenMode.APPEND : IndexWriterConfig.OpenMode.CREATE)
                .setCodec(codec(options, mergeWorkers, mergeExecutor, graphsWhenMerging))
                .setIndexSort(Schema.INDEX_SORT)
                .setRAMBufferSizeMB(options.ramBufferMb())
                .setCommitOnClose(false);
        if (graphsWhenMerging) {
            config.setMergePolicy(new RebuildMergePolicy());
        } else if (segments != null && withBase) {
            // Merges run in this thread when asked for, one after the other: what merges depends only on the
            // documents, never on how threads were scheduled. (An index built from scratch ends as one
            // segment whatever merged before, so it keeps Lucene's background merges while documents come.)
            config.setMergePolicy(new PayloadMergePolicy(segments)).setMergeScheduler(new SerialMergeScheduler());
        }
        IndexWriter w;
        try {
            w = new IndexWriter(directory, config);
        } catch (IOException | RuntimeException e) {
            closeQuietly();
            throw e;
        }
        this.writer = w;
    }

    /** The codec for new segments: Lucene's current one with the configured HNSW format for vectors. */
    static Codec codec(LuceneOptions options, ExecutorService mergeExecutor) {
        return codec(options, mergeExecutor == null ? 1 : options.mergeThreads(), mergeExecutor, false);
    }

    /**
     * @param graphsWhenMerging whether only merges build graphs: segments of added documents then hold their
     *                          vectors without a graph (and are searched exactly until merged)
     */
    static Codec codec(LuceneOptions options, int mergeWorkers, ExecutorService mergeExecutor,
                       boolean graphsWhenMerging) {
        int workers = mergeExecutor == null ? 1 : mergeWorkers;
        KnnVectorsFormat format = new AnyDimension(hnsw(options, workers, mergeExecutor, GRAPH_THRESHOLD),
                graphsWhenMerging ? hnsw(options, 1, null, NO_GRAPH) : null);
        return new Lucene104Codec() {
            @Override
            public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
                return format;
            }
        };
    }

    /** Lucene's own: segments too small for a graph to beat a scan get none. */
    private static final int GRAPH_THRESHOLD = Lucene99HnswVectorsFormat.HNSW_GRAPH_THRESHOLD;
    /**
     * A tiny-segment threshold no segment reaches: Lucene builds a graph for {@code n} vectors only when
     * {@code n > threshold × ln n}.
     */
    private static final int NO_GRAPH = Integer.MAX_VALUE;

    private static KnnVectorsFormat hnsw(LuceneOptions options, int workers, ExecutorService executor,
                                         int tinySegments) {
        return switch (options.quantization()) {
            case NONE -> new Lucene99HnswVectorsFormat(options.maxConn(), options.beamWidth(), workers, executor,
                    tinySegments);
            case INT7 -> new Lucene104HnswScalarQuantizedVectorsFormat(ScalarEncoding.SEVEN_BIT, options.maxConn(),
                    options.beamWidth(), workers, executor, tinySegments);
            case INT4 -> new Lucene104HnswScalarQuantizedVectorsFormat(ScalarEncoding.PACKED_NIBBLE, options.maxConn(),
                    options.beamWidth(), workers, executor, tinySegments);
        };
    }

    /**
     * Lucene's HNSW formats accept at most 1,024 dimensions when indexing, a guard rail rather than a limit
     * of the format: models with 1,536 or 3,072 dimensions are common. Same name, so readers find the
     * original format by it. With a flush format, segments of added documents (all but merges) use it
     * instead (the same format without a graph: same name, same files, readable by the same reader).
     */
    private static final class AnyDimension extends KnnVectorsFormat {
        private final KnnVectorsFormat delegate;
        private final KnnVectorsFormat atFlush;

        AnyDimension(KnnVectorsFormat delegate, KnnVectorsFormat atFlush) {
            super(delegate.getName());
            this.delegate = delegate;
            this.atFlush = atFlush;
        }

        @Override
        public org.apache.lucene.codecs.KnnVectorsWriter fieldsWriter(org.apache.lucene.index.SegmentWriteState state)
                throws IOException {
            // A segment's vector writer is opened when its first document comes (context DEFAULT, not
            // FLUSH), so what is not a merge is a segment of added documents.
            boolean merge = state.context.context() == IOContext.Context.MERGE;
            return (atFlush != null && !merge ? atFlush : delegate).fieldsWriter(state);
        }

        @Override
        public org.apache.lucene.codecs.KnnVectorsReader fieldsReader(org.apache.lucene.index.SegmentReadState state)
                throws IOException {
            return delegate.fieldsReader(state);
        }

        @Override
        public int getMaxDimensions(String fieldName) {
            return dev.nyla.sync.EmbeddingModel.MAX_DIMENSION;
        }

        @Override
        public String toString() {
            return delegate.toString();
        }
    }

    void add(VectorRecord r) throws IOException {
        checkOrder(r.tenant(), r.id());
        if (r.vector().length != model.dimension()) {
            throw new DimensionMismatchException("vector of " + r.tenant() + "/" + r.id() + " for " + subject,
                    model.dimension(), r.vector().length);
        }
        if (base == null) {
            writer.addDocument(Schema.document(r, model.fingerprint(), model.similarity()));
            count++;
        } else {
            if (!inBase(r.tenant(), r.id())) {
                count++;
            }
            writer.updateDocument(Schema.keyTerm(r.tenant(), r.id()), Schema.document(r, model.fingerprint(),
                    model.similarity()));
        }
        advance(r.tenant(), r.id());
    }

    void delete(String tenant, String id) throws IOException {
        checkOrder(tenant, id);
        if (base != null && inBase(tenant, id)) {
            writer.deleteDocuments(Schema.keyTerm(tenant, id));
            count--;
        }
        advance(tenant, id);
    }

    long count() {
        return count;
    }

    /**
     * Commits durably with {@code userData} (the schema and model are added), merging into one segment
     * without deleted documents first when asked, else merging as the {@link SegmentPolicy} says if there
     * is one, and closes the writer. Returns the number of live documents, checked against the count kept
     * while writing.
     */
    long commit(boolean mergeToOneSegment, Map<String, String> userData) throws IOException {
        if (finished) {
            throw new StoreException(subject + ": already committed or aborted");
        }
        finished = true;
        Map<String, String> data = new HashMap<>(userData);
        data.put(Schema.COMMIT_SCHEMA, Schema.VERSION);
        data.put(Schema.COMMIT_MODEL, model.fingerprint());
        data.put(Schema.COMMIT_DIMENSION, Integer.toString(model.dimension()));
        data.put(Schema.COMMIT_SIMILARITY, model.similarity().wireName());
        try {
            writer.setLiveCommitData(data.entrySet());
            if (mergeToOneSegment) {
                writer.forceMerge(1);
            } else if (segments != null && base != null) {
                // The flush writes the new segment and applies the deletions, so that the policy sees them;
                // merges due then run here, each one asking the policy again.
                writer.flush();
                writer.maybeMerge();
            }
            writer.commit();
            writer.close();
        } catch (IOException | RuntimeException e) {
            closeQuietly();
            throw e;
        }
        closeQuietly();
        try (DirectoryReader r = DirectoryReader.open(directory)) {
            if (r.numDocs() != count) {
                throw new StoreException(subject, "records after commit", count, r.numDocs());
            }
        }
        return count;
    }

    /** Discards uncommitted changes; the directory's files are the caller's to remove. */
    void abort() {
        finished = true;
        closeQuietly();
    }

    @Override
    public void close() {
        if (!finished) {
            abort();
        }
    }

    private void closeQuietly() {
        try {
            if (writer != null && writer.isOpen()) {
                writer.rollback();
            }
        } catch (IOException | RuntimeException ignored) {
            // Rolling back a writer that failed; the caller reports the first failure.
        }
        try {
            if (base != null) {
                base.close();
            }
        } catch (IOException ignored) {
            // Closing a reader releases only memory and file handles.
        }
        if (mergeExecutor != null) {
            // The writer is closed or rolled back, which ends or aborts its merges, so the workers are idle
            // or about to be: wait for them, so that a builder leaves no thread behind.
            mergeExecutor.shutdownNow();
            try {
                mergeExecutor.awaitTermination(1, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void checkOrder(String tenant, String id) {
        if (finished) {
            throw new IllegalStateException(subject + ": the writer was already committed or aborted");
        }
        RecordKeys.requireValid(tenant, id);
        if (lastTenant != null && RecordKeys.compare(lastTenant, lastId, tenant, id) >= 0) {
            throw new IllegalArgumentException(subject + ": key " + tenant + "/" + id
                    + " is not after the previous key " + lastTenant + "/" + lastId
                    + " (keys must come in strictly ascending order, each once)");
        }
    }

    private void advance(String tenant, String id) {
        lastTenant = tenant;
        lastId = id;
    }

    private boolean inBase(String tenant, String id) throws IOException {
        BytesRef key = Schema.key(tenant, id);
        for (LeafReaderContext leaf : base.leaves()) {
            Terms terms = leaf.reader().terms(Schema.KEY);
            if (terms == null) {
                continue;
            }
            TermsEnum te = terms.iterator();
            if (!te.seekExact(key)) {
                continue;
            }
            Bits live = leaf.reader().getLiveDocs();
            PostingsEnum pe = te.postings(null, PostingsEnum.NONE);
            for (int doc = pe.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = pe.nextDoc()) {
                if (live == null || live.get(doc)) {
                    return true;
                }
            }
        }
        return false;
    }
}
