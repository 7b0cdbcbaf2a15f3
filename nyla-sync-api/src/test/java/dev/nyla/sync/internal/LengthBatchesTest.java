package dev.nyla.sync.internal;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LengthBatchesTest {
    @Test
    void everyTextIsInExactlyOneBatchOfAtMostTheMaximum() {
        List<String> texts = randomTexts(500, 1);
        List<int[]> batches = LengthBatches.of(texts, 32);
        boolean[] seen = new boolean[texts.size()];
        for (int[] batch : batches) {
            assertTrue(batch.length >= 1 && batch.length <= 32, "batch of " + batch.length);
            for (int p : batch) {
                assertFalse(seen[p], "position " + p + " twice");
                seen[p] = true;
            }
        }
        for (int p = 0; p < seen.length; p++) {
            assertTrue(seen[p], "position " + p + " missing");
        }
    }

    @Test
    void aBatchOfSeveralTextsPadsAtMostAFifthOfItsPositions() {
        List<String> texts = randomTexts(500, 2);
        long padded = 0;
        long unsortedPadded = 0;
        for (int[] batch : LengthBatches.of(texts, 32)) {
            padded += padding(texts, batch);
            if (batch.length > 1) {
                long longest = Arrays.stream(batch).map(p -> texts.get(p).length() + 8).max().orElseThrow();
                assertTrue(padding(texts, batch) <= LengthBatches.MAX_PADDING * longest * batch.length + 1e-9,
                        "batch of " + batch.length + " pads " + padding(texts, batch) + " of " + longest * batch.length);
            }
        }
        for (int from = 0; from < texts.size(); from += 32) {
            unsortedPadded += padding(texts, range(from, Math.min(texts.size(), from + 32)));
        }
        assertTrue(padded * 5 < unsortedPadded, "padding " + padded + " against " + unsortedPadded + " in key order");
    }

    @Test
    void textsOfOneLengthFillWholeBatchesInTheirOrder() {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 70; i++) {
            texts.add("text " + (100 + i));
        }
        List<int[]> batches = LengthBatches.of(texts, 32);
        assertEquals(3, batches.size());
        assertArrayEquals(range(0, 32), batches.get(0));
        assertArrayEquals(range(32, 64), batches.get(1));
        assertArrayEquals(range(64, 70), batches.get(2));
    }

    @Test
    void noTextsNoBatchesAndABatchBelowOneIsRefused() {
        assertTrue(LengthBatches.of(List.of(), 8).isEmpty());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LengthBatches.of(List.of("a"), 0));
        assertTrue(e.getMessage().contains("maxBatch") && e.getMessage().contains("0"), e.getMessage());
    }

    private static long padding(List<String> texts, int[] batch) {
        long longest = 0;
        long real = 0;
        for (int p : batch) {
            int length = texts.get(p).length() + 8;
            longest = Math.max(longest, length);
            real += length;
        }
        return longest * batch.length - real;
    }

    private static int[] range(int from, int to) {
        int[] out = new int[to - from];
        Arrays.setAll(out, i -> from + i);
        return out;
    }

    private static List<String> randomTexts(int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            texts.add("x".repeat(random.nextInt(80, 1000)));
        }
        return texts;
    }
}
