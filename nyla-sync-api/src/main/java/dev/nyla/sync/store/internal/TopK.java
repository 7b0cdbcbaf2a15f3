package dev.nyla.sync.store.internal;

import dev.nyla.sync.RecordKeys;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * The best {@code k} of a stream of scored candidates, kept in a heap of {@code k} with the worst on top, so an
 * exact scan over n candidates costs {@code n log k} and memory for {@code k}. Every store ranks hits the same
 * way, best score first and ties by id ({@link #byScoreThenId}), so an exact scan gives the same hits in every
 * store.
 *
 * <p>For store implementations; not needed by applications. Not thread-safe: one scan at a time.
 *
 * @param <T> a candidate
 */
public final class TopK<T> {
    private final int k;
    private final Comparator<? super T> bestFirst;
    /** Worst on top: the one a better candidate replaces. */
    private final PriorityQueue<T> heap;

    /**
     * Keeps the best {@code k} by {@code bestFirst}, which orders better candidates first.
     *
     * @throws IllegalArgumentException when {@code k} is not positive
     */
    public TopK(int k, Comparator<? super T> bestFirst) {
        if (k < 1) {
            throw new IllegalArgumentException("k: expected at least 1 but was " + k);
        }
        this.k = k;
        this.bestFirst = bestFirst;
        this.heap = new PriorityQueue<>(k + 1, bestFirst.reversed());
    }

    /**
     * The order of hits every store returns: higher score first, equal scores by id in {@link RecordKeys#ORDER}
     * (within one tenant).
     */
    public static <T> Comparator<T> byScoreThenId(ToDoubleFunction<? super T> score, Function<? super T, String> id) {
        return Comparator.<T>comparingDouble(score).reversed().thenComparing(id, RecordKeys.ORDER);
    }

    /** Keeps {@code candidate} when it is among the best {@code k} seen so far. */
    public void offer(T candidate) {
        if (heap.size() < k) {
            heap.add(candidate);
        } else if (bestFirst.compare(candidate, heap.peek()) < 0) {
            heap.poll();
            heap.add(candidate);
        }
    }

    /** Whether {@code k} candidates are kept, so a new one must beat {@link #worst()} to get in. */
    public boolean full() {
        return heap.size() >= k;
    }

    /**
     * The worst candidate kept: a scan may skip, before building a candidate, any whose score is lower.
     *
     * @throws java.util.NoSuchElementException when none is kept
     */
    public T worst() {
        return heap.element();
    }

    /** The candidates kept, best first. */
    public List<T> best() {
        List<T> best = new ArrayList<>(heap);
        best.sort(bestFirst);
        return best;
    }
}
