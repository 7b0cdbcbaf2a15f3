package dev.nyla.sync.lucene;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.lucene.index.MergePolicy;
import org.apache.lucene.index.MergeTrigger;
import org.apache.lucene.index.SegmentCommitInfo;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.index.TieredMergePolicy;

/**
 * The merges of a Lucene payload built version after version, as {@link SegmentPolicy} describes them: one
 * merge at a time, chosen from document counts only (never from timing or file sizes), so that the same
 * changes to the same index give the same segments. Run with a serial merge scheduler, Lucene asks again
 * after each merge until none is due.
 */
final class PayloadMergePolicy extends MergePolicy {
    private final SegmentPolicy policy;

    PayloadMergePolicy(SegmentPolicy policy) {
        // Compound files for segments up to a tenth of the index, as Lucene's default policy does: small
        // segments are then two files to fetch instead of a dozen.
        super(TieredMergePolicy.DEFAULT_NO_CFS_RATIO, MergePolicy.DEFAULT_MAX_CFS_SEGMENT_SIZE);
        this.policy = policy;
    }

    /** A segment as the policy sees it: its documents, deleted or not, and where it stands in the index. */
    private record Segment(SegmentCommitInfo info, int position, long docs, long deleted) {
        long live() {
            return docs - deleted;
        }
    }

    @Override
    public MergeSpecification findMerges(MergeTrigger trigger, SegmentInfos infos, MergeContext context)
            throws IOException {
        List<Segment> segments = segments(infos, context, null);
        if (segments.isEmpty()) {
            return null;
        }
        long docs = segments.stream().mapToLong(Segment::docs).sum();
        long deleted = segments.stream().mapToLong(Segment::deleted).sum();
        long live = docs - deleted;
        if (deleted * 100 > (long) policy.deletesPctAllowed() * docs) {
            // The segment holding the most deleted documents reclaims the most in one merge; the small
            // segments ride along, since they would merge soon anyway and are cheap to add.
            Segment victim = segments.stream().max(Comparator.comparingLong(Segment::deleted)
                    .thenComparingLong(Segment::docs).thenComparingInt(s -> -s.position())).orElseThrow();
            List<Segment> merge = new ArrayList<>(List.of(victim));
            segments.stream().filter(s -> s != victim && tier(s, live) > 0).forEach(merge::add);
            return one(merge);
        }
        int tiers = 0;
        for (Segment s : segments) {
            tiers = Math.max(tiers, tier(s, live));
        }
        for (int t = tiers; t > 0; t--) {
            int tier = t;
            List<Segment> same = segments.stream().filter(s -> tier(s, live) == tier).sorted(smallestFirst()).toList();
            if (same.size() >= policy.segmentsPerTier()) {
                return one(same.subList(0, policy.segmentsPerTier()));
            }
        }
        if (segments.size() > policy.maxSegments()) {
            return one(segments.stream().sorted(smallestFirst()).limit(segments.size() - policy.maxSegments() + 1L)
                    .toList());
        }
        return null;
    }

    /** None: Lucene's merges on commit wait for a time budget, and what they get done would depend on speed. */
    @Override
    public MergeSpecification findFullFlushMerges(MergeTrigger trigger, SegmentInfos infos, MergeContext context) {
        return null;
    }

    /**
     * Merges the segments asked for into one when there are more than {@code maxSegmentCount}, else rewrites
     * each of them that has deleted documents: a forced merge to one segment leaves none.
     */
    @Override
    public MergeSpecification findForcedMerges(SegmentInfos infos, int maxSegmentCount,
                                               Map<SegmentCommitInfo, Boolean> segmentsToMerge, MergeContext context)
            throws IOException {
        List<Segment> asked = segments(infos, context, segmentsToMerge.keySet());
        if (asked.size() > maxSegmentCount) {
            return one(asked);
        }
        return singletonsWithDeletes(asked);
    }

    @Override
    public MergeSpecification findForcedDeletesMerges(SegmentInfos infos, MergeContext context) throws IOException {
        return singletonsWithDeletes(segments(infos, context, null));
    }

    /**
     * The largest {@code t} with {@code live × segmentsPerTier^t ≤ indexLive}: 0 for a segment holding more
     * than a {@code segmentsPerTier}-th of the index, one more for each factor smaller.
     */
    private int tier(Segment s, long indexLive) {
        long size = Math.max(1, s.live());
        int t = 0;
        while (size <= indexLive / policy.segmentsPerTier()) {
            size *= policy.segmentsPerTier();
            t++;
        }
        return t;
    }

    private static Comparator<Segment> smallestFirst() {
        return Comparator.comparingLong(Segment::live).thenComparingInt(Segment::position);
    }

    /** The segments not being merged already, in index order; only those of {@code only} when given. */
    private static List<Segment> segments(SegmentInfos infos, MergeContext context, Set<SegmentCommitInfo> only)
            throws IOException {
        Set<SegmentCommitInfo> merging = context.getMergingSegments();
        List<Segment> out = new ArrayList<>();
        int position = 0;
        for (SegmentCommitInfo info : infos) {
            if (!merging.contains(info) && (only == null || only.contains(info))) {
                int docs = info.info.maxDoc();
                int deleted = Math.min(docs, Math.max(0, context.numDeletesToMerge(info)));
                out.add(new Segment(info, position, docs, deleted));
            }
            position++;
        }
        return out;
    }

    private static MergeSpecification singletonsWithDeletes(List<Segment> segments) {
        MergeSpecification spec = null;
        for (Segment s : segments) {
            if (s.deleted() > 0) {
                if (spec == null) {
                    spec = new MergeSpecification();
                }
                spec.add(new OneMerge(List.of(s.info())));
            }
        }
        return spec;
    }

    private static MergeSpecification one(List<Segment> segments) {
        if (segments.isEmpty()) {
            return null;
        }
        List<SegmentCommitInfo> infos = segments.stream().sorted(Comparator.comparingInt(Segment::position))
                .map(Segment::info).toList();
        MergeSpecification spec = new MergeSpecification();
        spec.add(new OneMerge(new ArrayList<>(infos)));
        return spec;
    }
}
