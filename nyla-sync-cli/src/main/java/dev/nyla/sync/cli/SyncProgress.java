package dev.nyla.sync.cli;

import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.client.InstallRoute;
import dev.nyla.sync.client.SyncListener;
import dev.nyla.sync.client.SyncResult;
import dev.nyla.sync.client.SyncState;
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
    /** Where the current run is; IDLE between runs. */
    private SyncState state = SyncState.IDLE;
    private String downloading = "";
    private String installing = "";
    /** Set once a stop was announced: nothing more is printed, so the stop's line is the last. */
    private boolean silenced;

    /** What a stop would interrupt, and what the next sync does about it. */
    record Interruption(String what, String next) {
    }

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
    public synchronized void stateChanged(SyncState from, SyncState to) {
        state = to;
    }

    /**
     * What the current run is doing, for the one line a stop prints; empty between runs. Silences this
     * listener: whatever the run prints while it is being stopped would follow that line.
     */
    synchronized Optional<Interruption> stop() {
        endBar();
        silenced = true;
        String version = offered > 0 ? "version " + offered : "the update";
        return Optional.ofNullable(switch (state) {
            case IDLE, UP_TO_DATE, COMMITTED, FAILED -> null;
            case CHECKING, UPDATE_AVAILABLE -> new Interruption("checking the source for a new version", "checks again");
            case AWAITING_APPROVAL -> new Interruption("waiting for approval of " + version, "asks again");
            case DOWNLOADING -> new Interruption("downloading " + version + (downloading.isEmpty() ? "" : ": " + downloading),
                    "resumes the download");
            case VERIFYING -> new Interruption("verifying the download of " + version, "verifies it again");
            case INSTALLING -> new Interruption("installing " + version + (installing.isEmpty() ? "" : ": " + installing),
                    "installs it again from the files already downloaded");
            case SWAPPING, ROLLING_BACK -> new Interruption("switching readers to " + version
                    + " (atomic: the store serves one version or the other)", "checks which one serves");
        });
    }

    /** Whether a stop was announced; then the command prints nothing more. */
    synchronized boolean silenced() {
        return silenced;
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
        downloading = Format.abbreviate(file, 24) + " (" + Format.bytes(bytes) + " of " + Format.bytes(totalBytes) + ")";
        progress("download", stagePercent, Format.bytes(bytes) + "/" + Format.bytes(totalBytes) + " "
                + Format.abbreviate(file, 24));
    }

    @Override
    public synchronized void verified(String file, long bytes) {
        plain("verified " + file + " (" + Format.bytes(bytes) + ", sha256 as signed)");
    }

    @Override
    public synchronized void installProgress(long records, long totalRecords, int stagePercent) {
        installing = String.format(Locale.ROOT, "%,d of %,d records", records, totalRecords);
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
        state = SyncState.IDLE;
        downloading = "";
        installing = "";
        if (silenced) {
            return;
        }
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
    public synchronized void failed(SyncState stage, IOException cause) {
        endBar();
        state = SyncState.IDLE;
        if (onCompleted != null && !silenced) {
            // The watch loop: a one-shot sync reports failures itself, with the exit code.
            out.println("failed while " + stage.name().toLowerCase(Locale.ROOT) + ": " + Main.oneLine(cause)
                    + "; the previous version keeps serving");
        }
    }

    static String name(InstallRoute route) {
        return Format.route(route.name());
    }

    private void progress(String stage, int percent, String detail) {
        if (silenced) {
            return;
        }
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
        if (silenced) {
            return;
        }
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
