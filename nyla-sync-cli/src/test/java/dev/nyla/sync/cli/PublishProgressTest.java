package dev.nyla.sync.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** publish's progress lines, on a clock the test moves: no sleeps, no timing. */
class PublishProgressTest {
    private static final long SECOND = 1_000_000_000L;
    private final AtomicLong clock = new AtomicLong(42 * SECOND);
    private final StringWriter text = new StringWriter();

    private PublishProgress progress(boolean terminal, long corpus) {
        return new PublishProgress(new PrintWriter(text, true), terminal, clock::get, corpus);
    }

    private List<String> lines() {
        return text.toString().lines().toList();
    }

    @Test
    void aLineGivesCountTotalRateAndTimeLeft() {
        assertEquals("embedded 3,200/9,051 chunks, 8.7/s, ~11 min left",
                PublishProgress.line(3_200, 9_051, 368 * SECOND));
        assertEquals("embedded 400/1,000 chunks, 425/s, ~2 s left", PublishProgress.line(400, 1_000, 400 * SECOND / 425));
        assertEquals("embedded 10/100,000 chunks, 0.5/s, ~55 h 33 min left", PublishProgress.line(10, 100_000, 20 * SECOND),
                "99,990 at 0.5/s is 199,980 s");
        assertEquals("embedded 0/50 chunks", PublishProgress.line(0, 50, 3 * SECOND), "no rate before the first batch");
        assertEquals("embedded 9,051/9,051 chunks in 17 min, 8.9/s", PublishProgress.finished(9_051, 9_051, 1_020 * SECOND));
        assertEquals("embedded 2/2 chunks in 1500 ms, 1.3/s", PublishProgress.finished(2, 2, 3 * SECOND / 2));
        assertEquals("40 s", PublishProgress.roughly(Duration.ofMillis(39_200)));
        assertEquals("1 s", PublishProgress.roughly(Duration.ZERO));
    }

    @Test
    void withoutATerminalALineAtMostEveryFiveSecondsAndOneAtTheEnd() {
        PublishProgress p = progress(false, 9_051);
        p.embeddingStarted(600);
        // A batch of 10 every second for 59 s, then the last.
        for (int s = 1; s < 60; s++) {
            clock.addAndGet(SECOND);
            p.embedded(10L * s, 600);
        }
        clock.addAndGet(SECOND);
        p.embedded(600, 600);
        List<String> lines = lines();
        assertEquals("  embedding 600 of 9,051 chunks (added or changed; the others keep their vectors)", lines.get(0));
        assertEquals(1 + 11 + 1, lines.size(), "start, one per 5 s of 59 s, the end: " + lines);
        assertEquals("  embedded 50/600 chunks, 10/s, ~55 s left", lines.get(1));
        assertEquals("  embedded 550/600 chunks, 10/s, ~5 s left", lines.get(11));
        assertEquals("  embedded 600/600 chunks in 1 min, 10/s", lines.get(12));
        assertFalse(text.toString().contains("\r"));
    }

    @Test
    void aBurstOfBatchesPrintsNoLineUntilFiveSecondsPassed() {
        PublishProgress p = progress(false, 1_000);
        p.embeddingStarted(1_000);
        for (int i = 1; i < 100; i++) {
            clock.addAndGet(SECOND / 100);
            p.embedded(i * 10L, 1_000);
        }
        assertEquals(List.of("  embedding 1,000 chunks"), lines());
    }

    @Test
    void onATerminalOneLineIsRedrawnAndEndsWithANewline() {
        PublishProgress p = progress(true, 100);
        p.embeddingStarted(100);
        for (int s = 1; s <= 9; s++) {
            clock.addAndGet(SECOND);
            p.embedded(10L * s, 100);
        }
        clock.addAndGet(SECOND);
        p.embedded(100, 100);
        String out = text.toString();
        assertEquals(2, out.chars().filter(c -> c == '\n').count(), "the start line and one redrawn line: " + out);
        assertEquals(10, out.chars().filter(c -> c == '\r').count(), "a redraw a second, and the end: " + out);
        assertTrue(out.endsWith("\r  embedded 100/100 chunks in 10.0 s, 10/s" + " ".repeat("embedded 90/100 chunks, 10/s, ~1 s left".length()
                - "embedded 100/100 chunks in 10.0 s, 10/s".length()) + "\n"), out);
    }

    @Test
    void nothingToEmbedSaysSo() {
        progress(false, 207).embeddingStarted(0);
        assertEquals(List.of("  nothing to embed: every chunk is unchanged since the previous version"), lines());
    }
}
