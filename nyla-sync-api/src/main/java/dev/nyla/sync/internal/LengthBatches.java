package dev.nyla.sync.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Splits texts into model calls of similar length ("length bucketing"). A transformer pads every text of a
 * call to the call's longest, so one long text among 31 short ones makes the call cost 32 long texts; one call
 * per text wastes nothing on padding but pays the per-call cost (tensor set-up, the runtime's thread hand-off)
 * each time. A batch here is texts taken from shortest to longest and closed when it holds {@code maxBatch}
 * texts or when the next text would make the padding exceed {@link #MAX_PADDING} of the batch's tokens.
 *
 * <p>Lengths are best counted in tokens; characters can stand in where no tokenizer is at hand, and then the
 * bound is on an estimate (measured: grouping by tokens embedded ~20 % more texts per second than by
 * characters, benchmarks/README.md).
 */
public final class LengthBatches {
    /**
     * The largest share of a batch's positions that may be padding. A fifth keeps the compute wasted on padding
     * small while still letting texts of nearby lengths share a call.
     */
    public static final double MAX_PADDING = 0.2;

    /** Characters added to each text's length for the tokens every text carries ({@code [CLS]}, {@code [SEP]}). */
    private static final int FIXED_CHARS = 8;

    private LengthBatches() {
    }

    /**
     * The batches of {@code texts} by their lengths in characters, for when no tokenizer is at hand: within one
     * language, characters and tokens rise together.
     *
     * @see #of(int[], int)
     */
    public static List<int[]> of(List<String> texts, int maxBatch) {
        int[] lengths = new int[texts.size()];
        for (int i = 0; i < lengths.length; i++) {
            lengths[i] = texts.get(i).length() + FIXED_CHARS;
        }
        return of(lengths, maxBatch);
    }

    /**
     * The batches, each a list of positions in {@code lengths} (tokens per text, as the model will see them),
     * shortest first; every position occurs in exactly one batch. Equal lengths keep their order, so the same
     * texts always make the same batches.
     *
     * @throws IllegalArgumentException when {@code maxBatch} is below 1
     */
    public static List<int[]> of(int[] lengths, int maxBatch) {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch: expected at least 1 but was " + maxBatch);
        }
        int n = lengths.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingInt(i -> lengths[i])); // stable
        List<int[]> batches = new ArrayList<>();
        int from = 0;
        long real = 0;
        for (int k = 0; k < n; k++) {
            int length = lengths[order[k]];
            int size = k - from;
            // Sorted ascending, so the text being added is the batch's longest: every text pads to its length.
            boolean full = size == maxBatch;
            boolean wasteful = size > 0 && (double) length * (size + 1) * (1 - MAX_PADDING) > real + length;
            if (full || wasteful) {
                batches.add(positions(order, from, k));
                from = k;
                real = 0;
            }
            real += length;
        }
        if (from < n) {
            batches.add(positions(order, from, n));
        }
        return batches;
    }

    private static int[] positions(Integer[] order, int from, int to) {
        int[] out = new int[to - from];
        for (int k = from; k < to; k++) {
            out[k - from] = order[k];
        }
        return out;
    }
}
