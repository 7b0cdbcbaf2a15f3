package dev.nyla.sync.store;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.store.internal.TopK;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class TopKTest {
    private record Hit(String id, float score) {
    }

    private static final Comparator<Hit> ORDER = TopK.byScoreThenId(Hit::score, Hit::id);

    @Test
    void keepsTheBestKBestFirstTiesById() {
        TopK<Hit> top = new TopK<>(3, ORDER);
        for (Hit h : List.of(new Hit("d", 0.5f), new Hit("a", 0.9f), new Hit("c", 0.5f), new Hit("b", 0.5f),
                new Hit("e", 0.1f))) {
            top.offer(h);
        }
        assertEquals(List.of(new Hit("a", 0.9f), new Hit("b", 0.5f), new Hit("c", 0.5f)), top.best());
        assertEquals(new Hit("c", 0.5f), top.worst());
    }

    @Test
    void equalsASortOfEveryCandidate() {
        Random random = new Random(42);
        List<Hit> all = IntStream.range(0, 2_000)
                .mapToObj(i -> new Hit("id-" + random.nextInt(500), random.nextInt(50) / 50f)).toList();
        TopK<Hit> top = new TopK<>(25, ORDER);
        all.forEach(top::offer);
        assertEquals(all.stream().sorted(ORDER).limit(25).toList(), top.best());
    }

    @Test
    void idsCompareByCodePointAsRecordKeysDo() {
        // U+1F600 is a surrogate pair in UTF-16, which String.compareTo orders before U+FF5E; code points do not.
        TopK<Hit> top = new TopK<>(2, ORDER);
        top.offer(new Hit("\uD83D\uDE00", 1f));
        top.offer(new Hit("\uFF5E", 1f));
        assertEquals(List.of("\uFF5E", "\uD83D\uDE00"), top.best().stream().map(Hit::id).toList());
    }

    @Test
    void fullOnlyOnceKAreKept() {
        TopK<Hit> top = new TopK<>(2, ORDER);
        top.offer(new Hit("a", 1f));
        assertFalse(top.full());
        top.offer(new Hit("b", 0f));
        assertTrue(top.full());
        assertEquals(new Hit("b", 0f), top.worst());
    }

    @Test
    void kBelowOneIsRefusedNamingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new TopK<>(0, ORDER));
        assertEquals("k: expected at least 1 but was 0", e.getMessage());
    }
}
