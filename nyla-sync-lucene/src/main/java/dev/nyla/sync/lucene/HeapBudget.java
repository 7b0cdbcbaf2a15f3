package dev.nyla.sync.lucene;

/**
 * How much of the JVM's heap a store's index writer may use, so that a generation of any size is written
 * within a fixed heap: the buffer of documents not yet flushed, and the documents of one merged segment.
 * Lucene builds a merged segment's HNSW graph on the heap, all of it at once (about 500 bytes per node at the
 * default {@code maxConn} of 16, measured, whatever the dimension: vectors are read from the files; Lucene's
 * own accounting says 330), so the graph of a million records needs 500 MiB: a store never merges a segment past
 * {@link #maxSegmentDocs}, and a generation too large for one segment ends as a few graphs instead of one.
 *
 * @param ramBufferMb    the index writer's RAM buffer: the configured one, at most a quarter of the heap
 * @param maxSegmentDocs the most documents of one merged segment: a third of the heap the buffer leaves, over
 *                       the graph's bytes per node
 */
record HeapBudget(int ramBufferMb, int maxSegmentDocs) {
    /** Bytes per node of a graph being built, per unit of {@code maxConn}: measured 32 at 16 and 16 floats. */
    static final int GRAPH_BYTES_PER_CONNECTION = 32;
    /** Bytes per node on top: the merge's maps from documents to nodes, the collector's room. */
    static final int GRAPH_BYTES_PER_NODE = 64;
    /** Below this a merged segment gains too little to be worth its graph's rebuild. */
    static final int MIN_SEGMENT_DOCS = 10_000;

    /** The budget of a writer with {@code options} in a JVM whose heap may grow to {@code maxHeapBytes}. */
    static HeapBudget of(LuceneOptions options, long maxHeapBytes) {
        int ramBufferMb = (int) Math.max(1, Math.min(options.ramBufferMb(), maxHeapBytes / 4 / (1 << 20)));
        long graphBytes = (maxHeapBytes - ((long) ramBufferMb << 20)) / 3;
        long perNode = (long) GRAPH_BYTES_PER_CONNECTION * options.maxConn() + GRAPH_BYTES_PER_NODE;
        return new HeapBudget(ramBufferMb, (int) Math.min(Integer.MAX_VALUE, Math.max(MIN_SEGMENT_DOCS,
                graphBytes / perNode)));
    }

    /** The budget of a writer with {@code options} in this JVM. */
    static HeapBudget of(LuceneOptions options) {
        return of(options, Runtime.getRuntime().maxMemory());
    }
}
