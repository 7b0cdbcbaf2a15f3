package dev.nyla.sync.cli;

import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.client.InstallRoute;
import dev.nyla.sync.client.SyncListener;
import dev.nyla.sync.client.SyncResult;
import dev.nyla.sync.store.Generation;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.Optional;

/**
 * Shows a sync run as it goes: on a terminal one progress bar line rewritten in place, otherwise plain lines,
 * one per stage (so logs and CI output stay readable).
 */
final class SyncProgress implements SyncListener {
    private static final int BAR = 30;
    private final PrintWriter out;
    private final boolean terminal;
    private volatile Manifest skipped;
    private volatile long offered;
    private String lastLine = "";
    private int lastPlainPercent = -1;
    private String lastStage = "";
    private boolean barShown;
    private volatile ResultHandler onCompleted;

    /** What the watch loop does with each run's result. */
    interface ResultHandler {
        void handle(SyncResult result) throws IOException;
    }

    SyncProgress(PrintWriter out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
    }

    /** Whether stdout is an interactive terminal (JDK 22+ answers exactly; before, a console means one). */
    static boolean stdoutIsTerminal() {
        java.io.Console c = System.console();
        if (c == null) {
            return false;
        }
        try {
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(c);
        } catch (ReflectiveOperationException e) {
            return true; // JDK 21: System.console() is null unless stdin and stdout are a terminal
        }
    }

    /** The version the source offered in the last run, 0 when it was not modified since the last check. */
    long offered() {
        return offered;
    }

    /** The version a gate kept from installing in the last run, if one did. */
    Optional<Manifest> skipped() {
        return Optional.ofNullable(skipped);
    }

    @Override
    public synchronized void checkFinished(long offeredVersion, boolean updateAvailable) {
        skipped = null;
        offered = offeredVersion;
        if (updateAvailable) {
            plain("version " + offeredVersion + " offered");
        }
    }

    @Override
    public synchronized void routeStarted(InstallRoute route, long downloadBytes) {
        plain("route " + name(route) + ": " + Format.bytes(downloadBytes) + " to download");
        lastPlainPercent = -1;
    }

    @Override
    public synchronized void downloadProgress(String file, long bytes, long totalBytes, int stagePercent) {
        progress("download", stagePercent, Format.bytes(bytes) + "/" + Format.bytes(totalBytes) + " "
                + Format.abbreviate(file, 24));
    }

    @Override
    public synchronized void verified(String file, long bytes) {
        plain("verified " + file + " (" + Format.bytes(bytes) + ", sha256 as signed)");
    }

    @Override
    public synchronized void installProgress(long records, long totalRecords, int stagePercent) {
        progress("install", stagePercent, records + "/" + totalRecords + " records");
    }

    @Override
    public synchronized void swapped(Generation previous, Generation current) {
        plain("swapped readers to generation " + current.id() + " (version " + current.version() + ")");
    }

    @Override
    public synchronized void fallback(InstallRoute failed, InstallRoute next, IOException cause) {
        plain("route " + name(failed) + " failed (" + Main.oneLine(cause) + "); trying " + name(next));
    }

    @Override
    public synchronized void rolledBack(Generation current, String reason) {
        plain("rolled back to generation " + current.id() + ": " + reason);
    }

    @Override
    public synchronized void skipped(Manifest offered, SyncResult.Outcome why) {
        skipped = offered;
    }

    @Override
    public synchronized void completed(SyncResult result) {
        endBar();
        ResultHandler handler = onCompleted;
        if (handler != null) {
            try {
                handler.handle(result);
            } catch (IOException | RuntimeException e) {
                out.println("  could not report the run: " + Main.oneLine(e));
            }
        }
    }

    void onCompleted(ResultHandler handler) {
        this.onCompleted = handler;
    }

    @Override
    public synchronized void failed(dev.nyla.sync.client.SyncState stage, IOException cause) {
        endBar();
        if (onCompleted != null) {
            // The watch loop: a one-shot sync reports failures itself, with the exit code.
            out.println("failed while " + stage.name().toLowerCase(Locale.ROOT) + ": " + Main.oneLine(cause)
                    + "; the previous version keeps serving");
        }
    }

    static String name(InstallRoute route) {
        return Format.route(route.name());
    }

    private void progress(String stage, int percent, String detail) {
        int p = Math.max(0, Math.min(100, percent));
        if (terminal) {
            int filled = p * BAR / 100;
            // At most 79 columns, so the line never wraps and \r keeps overwriting it on an 80-column terminal.
            String line = String.format(Locale.ROOT, "%-8s [%s%s] %3d%% %s", stage, "#".repeat(filled),
                    " ".repeat(BAR - filled), p, Format.abbreviate(detail, 79 - 46));
            if (!line.equals(lastLine)) {
                out.print("\r" + line + " ".repeat(Math.max(0, lastLine.length() - line.length())));
                out.flush();
                lastLine = line;
                barShown = true;
            }
        } else if (!stage.equals(lastStage) || p / 25 != lastPlainPercent / 25 || lastPlainPercent < 0) {
            lastStage = stage;
            // Plain output: a line at 0, 25, 50, 75 and 100 % of each stage, not one per buffer.
            lastPlainPercent = p;
            out.println("  " + stage + " " + p + "% " + detail);
        }
    }

    private void plain(String line) {
        endBar();
        out.println("  " + line);
    }

    private void endBar() {
        if (barShown) {
            out.println();
            barShown = false;
            lastLine = "";
        }
    }
}
