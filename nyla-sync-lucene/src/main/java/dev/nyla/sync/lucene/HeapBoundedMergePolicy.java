package dev.nyla.sync.lucene;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.lucene.index.FilterMergePolicy;
import org.apache.lucene.index.MergePolicy;
import org.apache.lucene.index.MergeTrigger;
import org.apache.lucene.index.SegmentCommitInfo;
import org.apache.lucene.index.SegmentInfos;

/**
 * Another merge policy's merges, minus those whose segment would hold more documents than
 * {@link HeapBudget#maxSegmentDocs}: the heap a merge needs grows with its documents (the HNSW graph is built
 * on the heap), and a store's writer must fit the JVM it runs in. A forced merge (into one segment) of more
 * documents than that packs the segments into as few merged segments of at most that many instead, the
 * largest first. With one merge at a time (see {@link IndexBuilder}) the heap holds at most one such graph.
 */
final class HeapBoundedMergePolicy extends FilterMergePolicy {
    private final int maxDocs;

    HeapBoundedMergePolicy(MergePolicy in, int maxDocs) {
        super(in);
        this.maxDocs = maxDocs;
    }

    @Override
    public MergeSpecification findMerges(MergeTrigger trigger, SegmentInfos infos, MergeContext context)
            throws IOException {
        return withinBound(in.findMerges(trigger, infos, context));
    }

    @Override
    public MergeSpecification findForcedMerges(SegmentInfos infos, int maxSegmentCount,
                                               Map<SegmentCommitInfo, Boolean> segmentsToMerge, MergeContext context)
            throws IOException {
        List<SegmentCommitInfo> candidates = new ArrayList<>();
        long docs = 0;
        Set<SegmentCommitInfo> merging = context.getMergingSegments();
        for (SegmentCommitInfo info : infos) {
            if (segmentsToMerge.containsKey(info) && !merging.contains(info)) {
                candidates.add(info);
                docs += info.info.maxDoc();
            }
        }
        if (docs <= maxDocs) {
            return withinBound(in.findForcedMerges(infos, maxSegmentCount, segmentsToMerge, context));
        }
        // First fit, largest first: few segments, each as full as the bound allows.
        candidates.sort(Comparator.comparingInt((SegmentCommitInfo s) -> s.info.maxDoc()).reversed());
        List<List<SegmentCommitInfo>> bins = new ArrayList<>();
        List<Long> binDocs = new ArrayList<>();
        for (SegmentCommitInfo s : candidates) {
            int bin = 0;
            while (bin < bins.size() && binDocs.get(bin) + s.info.maxDoc() > maxDocs) {
                bin++;
            }
            if (bin == bins.size()) {
                bins.add(new ArrayList<>());
                binDocs.add(0L);
            }
            bins.get(bin).add(s);
            binDocs.set(bin, binDocs.get(bin) + s.info.maxDoc());
        }
        MergeSpecification spec = new MergeSpecification();
        // Over a rebuild's segments, which get their graphs only by merging, a segment alone in its bin is
        // rewritten too, unless a merge wrote it.
        boolean rewriteGraphless = in instanceof RebuildMergePolicy;
        for (List<SegmentCommitInfo> bin : bins) {
            if (bin.size() > 1 || rewriteGraphless && !RebuildMergePolicy.hasGraph(bin.getFirst())) {
                spec.add(new OneMerge(bin));
            }
        }
        return spec.merges.isEmpty() ? null : spec;
    }

    @Override
    public MergeSpecification findForcedDeletesMerges(SegmentInfos infos, MergeContext context) throws IOException {
        return withinBound(in.findForcedDeletesMerges(infos, context));
    }

    @Override
    public MergeSpecification findFullFlushMerges(MergeTrigger trigger, SegmentInfos infos, MergeContext context)
            throws IOException {
        return withinBound(in.findFullFlushMerges(trigger, infos, context));
    }

    private MergeSpecification withinBound(MergeSpecification spec) {
        if (spec == null) {
            return null;
        }
        MergeSpecification kept = new MergeSpecification();
        for (OneMerge m : spec.merges) {
            long docs = 0;
            for (SegmentCommitInfo s : m.segments) {
                docs += s.info.maxDoc();
            }
            if (docs <= maxDocs) {
                kept.add(m);
            }
        }
        return kept.merges.isEmpty() ? null : kept;
    }
}
