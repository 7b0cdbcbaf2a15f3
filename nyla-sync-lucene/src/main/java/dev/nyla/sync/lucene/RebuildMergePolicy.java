package dev.nyla.sync.lucene;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.MergePolicy;
import org.apache.lucene.index.MergeTrigger;
import org.apache.lucene.index.SegmentCommitInfo;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.index.TieredMergePolicy;

/**
 * The merges of an index rebuilt from scratch whose flushed segments hold no HNSW graph (see
 * {@link IndexBuilder}): none while documents arrive, since merging segments without graphs only copies
 * bytes that the final merge copies again; then, when a merge into one segment is forced, every segment
 * into one, even a single flushed one, because that merge is where the graph gets built. A single segment
 * that a merge wrote already has its graph and is left alone, which also ends Lucene's asking again after
 * the merge.
 */
final class RebuildMergePolicy extends MergePolicy {

    RebuildMergePolicy() {
        // Lucene's default compound-file rule, so the merged index has the files it had before.
        super(TieredMergePolicy.DEFAULT_NO_CFS_RATIO, MergePolicy.DEFAULT_MAX_CFS_SEGMENT_SIZE);
    }

    @Override
    public MergeSpecification findMerges(MergeTrigger trigger, SegmentInfos infos, MergeContext context) {
        return null;
    }

    @Override
    public MergeSpecification findForcedMerges(SegmentInfos infos, int maxSegmentCount,
                                               Map<SegmentCommitInfo, Boolean> segmentsToMerge, MergeContext context) {
        if (!context.getMergingSegments().isEmpty()) {
            return null;
        }
        List<SegmentCommitInfo> segments = new ArrayList<>();
        for (SegmentCommitInfo s : infos) {
            if (segmentsToMerge.containsKey(s)) {
                segments.add(s);
            }
        }
        if (segments.isEmpty() || segments.size() == 1 && hasGraph(segments.getFirst())) {
            return null;
        }
        MergeSpecification spec = new MergeSpecification();
        spec.add(new OneMerge(segments));
        return spec;
    }

    @Override
    public MergeSpecification findForcedDeletesMerges(SegmentInfos infos, MergeContext context) {
        return null;
    }

    /** Only merges write graphs; an index built from scratch has no deleted documents to expunge. */
    private static boolean hasGraph(SegmentCommitInfo segment) {
        return IndexWriter.SOURCE_MERGE.equals(segment.info.getDiagnostics().get(IndexWriter.SOURCE))
                && !segment.hasDeletions();
    }
}
