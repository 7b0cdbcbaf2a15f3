package dev.nyla.sync.publish;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;

/**
 * The order in which to embed texts so that each batch holds texts of similar length ("length bucketing"): a
 * model pads every text of a batch to the batch's longest, so a batch of one long and 31 short texts costs as
 * much as 32 long ones. Characters stand in for tokens: the publisher knows no tokenizer, and within one
 * language the two rise together.
 */
final class LengthOrder {
    private LengthOrder() {
    }

    /**
     * Positions of {@code items} from the shortest text to the longest; equal lengths keep their order, so the
     * batches, and the files written from them, are the same on every run.
     */
    static <T> int[] of(List<T> items, Function<T, String> text) {
        int[] lengths = new int[items.size()];
        Integer[] order = new Integer[items.size()];
        for (int i = 0; i < order.length; i++) {
            lengths[i] = text.apply(items.get(i)).length();
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingInt(i -> lengths[i])); // stable
        return Arrays.stream(order).mapToInt(Integer::intValue).toArray();
    }
}
