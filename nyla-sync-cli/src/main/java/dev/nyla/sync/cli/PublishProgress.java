package dev.nyla.sync.cli;

import dev.nyla.sync.publish.PublishListener;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Shows {@code publish}'s embedding as it goes: chunks done of the total to embed, the rate, and the time
 * left, e.g. {@code embedded 3,200/9,051 chunks, 8.7/s, ~11 min left}. Without a terminal (a log, CI) a
 * line at most every {@link #LINE_EVERY}, so a long run stays readable; on a terminal one line redrawn at
 * most every {@link #REDRAW_EVERY}. Both end with one line for the whole run.
 */
final class PublishProgress implements PublishListener {
    static final Duration LINE_EVERY = Duration.ofSeconds(5);
    static final Duration REDRAW_EVERY = Duration.ofSeconds(1);
    private final PrintWriter out;
    private final boolean terminal;
    private final LongSupplier nanoTime;
    private final long corpusSize;
    private long started;
    private long lastShown;
    private int shownLength;

    /**
     * @param nanoTime   the clock, {@code System::nanoTime} outside tests
     * @param corpusSize the chunks of the corpus, to say how many of them keep their vectors
     */
    PublishProgress(PrintWriter out, boolean terminal, LongSupplier nanoTime, long corpusSize) {
        this.out = out;
        this.terminal = terminal;
        this.nanoTime = nanoTime;
        this.corpusSize = corpusSize;
    }

    @Override
    public void recordsWritten(long done, long total) {
        // Writing is fast next to embedding; embedding's progress is the one worth showing.
    }

    @Override
    public void embeddingStarted(long total) {
        started = nanoTime.getAsLong();
        lastShown = started;
        if (total == 0) {
            out.println("  nothing to embed: every chunk is unchanged since the previous version");
        } else if (total < corpusSize) {
            out.printf(Locale.ROOT, "  embedding %,d of %,d chunks (added or changed; the others keep their vectors)%n",
                    total, corpusSize);
        } else {
            out.printf(Locale.ROOT, "  embedding %,d chunks%n", total);
        }
    }

    @Override
    public void embedded(long done, long total) {
        long now = nanoTime.getAsLong();
        if (done >= total) {
            show(finished(done, total, now - started), true);
            return;
        }
        if (now - lastShown >= (terminal ? REDRAW_EVERY : LINE_EVERY).toNanos()) {
            lastShown = now;
            show(line(done, total, now - started), false);
        }
    }

    /** {@code embedded 3,200/9,051 chunks, 8.7/s, ~11 min left}; without a rate yet, the count alone. */
    static String line(long done, long total, long elapsedNanos) {
        String count = String.format(Locale.ROOT, "embedded %,d/%,d chunks", done, total);
        if (elapsedNanos <= 0 || done <= 0) {
            return count;
        }
        double perSecond = done / (elapsedNanos / 1e9);
        Duration left = Duration.ofMillis(Math.round((total - done) / perSecond * 1000));
        return count + ", " + rate(perSecond) + ", ~" + roughly(left) + " left";
    }

    /** {@code embedded 9,051/9,051 chunks in 17 min, 8.7/s}. */
    static String finished(long done, long total, long elapsedNanos) {
        String count = String.format(Locale.ROOT, "embedded %,d/%,d chunks", done, total);
        if (elapsedNanos <= 0) {
            return count;
        }
        Duration took = Duration.ofNanos(elapsedNanos);
        return count + " in " + (took.toSeconds() < 60 ? Format.millis(took) : roughly(took)) + ", "
                + rate(done / (elapsedNanos / 1e9));
    }

    /** Per second, with a decimal while it is small: {@code 8.7/s}, {@code 425/s}. */
    static String rate(double perSecond) {
        return perSecond < 10 ? String.format(Locale.ROOT, "%.1f/s", perSecond)
                : String.format(Locale.ROOT, "%,.0f/s", perSecond);
    }

    /** A duration as an estimate reads: {@code 40 s}, {@code 11 min}, {@code 2 h 5 min}. */
    static String roughly(Duration d) {
        long s = Math.max(1, (d.toMillis() + 999) / 1000);
        if (s < 60) {
            return s + " s";
        }
        long min = Math.round(s / 60.0);
        return min < 60 ? min + " min" : min / 60 + " h " + min % 60 + " min";
    }

    private void show(String line, boolean last) {
        if (terminal) {
            // Pad over a longer previous line: \r returns to the start but does not clear.
            out.print("\r  " + line + " ".repeat(Math.max(0, shownLength - line.length())));
            shownLength = line.length();
            if (last) {
                out.println();
                shownLength = 0;
            }
            out.flush();
        } else {
            out.println("  " + line);
        }
    }
}
