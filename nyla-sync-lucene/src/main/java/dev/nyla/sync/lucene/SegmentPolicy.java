package dev.nyla.sync.lucene;

import java.util.ArrayList;
import java.util.List;

/**
 * How a publisher keeps a Lucene payload lean over many versions. Each version built on the previous one
 * adds a small segment and marks the replaced documents deleted; after every version the publisher merges
 * (in the publishing thread, so the same changes always give the same segments):
 * <ol>
 *   <li>when deleted documents pass {@code deletesPctAllowed} percent of the index, the segment holding the
 *       most of them is rewritten, together with every small segment (below a {@code segmentsPerTier}-th of
 *       the index);</li>
 *   <li>small segments of one tier (sizes within a factor of {@code segmentsPerTier}, measured against the
 *       index) merge with each other once there are {@code segmentsPerTier} of them;</li>
 *   <li>the smallest segments merge when there are more than {@code maxSegments}.</li>
 * </ol>
 * Sizes are counted in documents, not bytes. A client holding the previous version downloads the new and
 * rewritten segments, so each rewrite of a large segment is paid by every up-to-date client once: raising
 * {@code deletesPctAllowed} makes rewrites rarer and the payload larger. See {@code docs/lucene-store.md}.
 *
 * @param segmentsPerTier   segments of similar size allowed before they merge, and how many merge at once (2..50)
 * @param deletesPctAllowed deleted documents allowed, in percent of the index's documents (1..90): the payload is
 *                          at most about {@code 100 / (100 - deletesPctAllowed)} times an index without deletions
 * @param maxSegments       the most segments a payload keeps (1..1000): each is one more HNSW graph per search
 */
public record SegmentPolicy(int segmentsPerTier, int deletesPctAllowed, int maxSegments) {

    /** The defaults: 10 segments per tier, 20 % deleted documents, at most 12 segments. */
    public static final SegmentPolicy DEFAULTS = new SegmentPolicy(10, 20, 12);

    public SegmentPolicy {
        List<String> problems = new ArrayList<>();
        check(problems, "segmentsPerTier", segmentsPerTier, 2, 50);
        check(problems, "deletesPctAllowed", deletesPctAllowed, 1, 90);
        check(problems, "maxSegments", maxSegments, 1, 1000);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("Lucene segment policy: " + String.join("; ", problems));
        }
    }

    private static void check(List<String> problems, String name, int value, int min, int max) {
        if (value < min || value > max) {
            problems.add(name + ": expected " + min + ".." + max + " but was " + value);
        }
    }

    /** This policy with another number of segments per tier. */
    public SegmentPolicy withSegmentsPerTier(int segments) {
        return new SegmentPolicy(segments, deletesPctAllowed, maxSegments);
    }

    /** This policy with another share of deleted documents allowed, in percent. */
    public SegmentPolicy withDeletesPctAllowed(int percent) {
        return new SegmentPolicy(segmentsPerTier, percent, maxSegments);
    }

    /** This policy with another bound on the number of segments. */
    public SegmentPolicy withMaxSegments(int segments) {
        return new SegmentPolicy(segmentsPerTier, deletesPctAllowed, segments);
    }
}
