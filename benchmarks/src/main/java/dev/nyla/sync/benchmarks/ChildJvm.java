package dev.nyla.sync.benchmarks;

import dev.nyla.sync.client.BoundedMemoryInstallMain;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A main class run in a child JVM whose heap is capped (the serial collector, as in the bounded-memory
 * contract tests: {@link BoundedMemoryInstallMain#childCommand}), and what it left behind: exit code, output,
 * wall time, and its collector's log. On an {@link OutOfMemoryError} the child writes a heap dump into its
 * work directory, to be read with any heap analyser.
 */
final class ChildJvm {
    /**
     * The heap after the collections of one child, from its {@code -Xlog:gc} lines ({@code GC(3) Pause Young
     * (Allocation Failure) 60M->31M(247M) 4.1ms}). "After GC" is the heap in use when a collection ended: live
     * data plus what that collection did not reach (a young collection leaves the old generation's garbage),
     * so its peak is an upper bound of what the program needed at any moment, and the peak after a full
     * collection a closer one. The log rounds to whole units (K, M or G).
     *
     * @param collections        pauses logged
     * @param full               full collections among them
     * @param peakAfterGc        the largest heap in use after any collection, in bytes
     * @param peakAfterFullGc    the largest after a full collection, in bytes (0 without one)
     * @param pauseSeconds       the pauses' total
     */
    record GcLog(int collections, int full, long peakAfterGc, long peakAfterFullGc, double pauseSeconds) {
        private static final Pattern PAUSE = Pattern.compile(
                "GC\\(\\d+\\) Pause (Young|Full)\\b.*? (\\d+)([KMG])->(\\d+)([KMG])\\((\\d+)([KMG])\\) ([0-9.]+)ms");

        static GcLog parse(Path file) throws IOException {
            int collections = 0;
            int full = 0;
            long peak = 0;
            long peakFull = 0;
            double pauses = 0;
            if (!Files.exists(file)) {
                return new GcLog(0, 0, 0, 0, 0);
            }
            for (String line : Files.readAllLines(file)) {
                Matcher m = PAUSE.matcher(line);
                if (!m.find()) {
                    continue;
                }
                long after = bytes(m.group(4), m.group(5));
                collections++;
                peak = Math.max(peak, after);
                if (m.group(1).equals("Full")) {
                    full++;
                    peakFull = Math.max(peakFull, after);
                }
                pauses += Double.parseDouble(m.group(8)) / 1000;
            }
            return new GcLog(collections, full, peak, peakFull, pauses);
        }

        private static long bytes(String number, String unit) {
            long n = Long.parseLong(number);
            return switch (unit) {
                case "K" -> n << 10;
                case "M" -> n << 20;
                default -> n << 30;
            };
        }
    }

    /**
     * One child's run.
     *
     * @param exitCode the child's exit code; -1 when it was killed after the timeout
     * @param output   what it printed (standard output and error)
     * @param seconds  wall time from start to exit, JVM start-up included
     */
    record Run(int exitCode, String output, double seconds, GcLog gc) {
        boolean outOfMemory() {
            return output.contains("java.lang.OutOfMemoryError");
        }
    }

    private ChildJvm() {
    }

    /**
     * Runs {@code mainClass} with {@code args} in a child JVM with {@code -Xmx<maxHeap>}, writing its output,
     * collector log and any heap dump into {@code work}; kills it after {@code timeout}.
     */
    static Run run(Path work, String maxHeap, String mainClass, List<String> args, Duration timeout)
            throws IOException, InterruptedException {
        Files.createDirectories(work);
        Path log = work.resolve("child.log");
        Path gcLog = work.resolve("gc.log");
        Files.deleteIfExists(gcLog);
        List<String> jvmOptions = new ArrayList<>(List.of("-Xlog:gc:file=" + gcLog, "-XX:+HeapDumpOnOutOfMemoryError",
                "-XX:HeapDumpPath=" + work, "-Dorg.slf4j.simpleLogger.showDateTime=true"));
        List<String> command = BoundedMemoryInstallMain.childCommand(maxHeap, jvmOptions, mainClass, args);
        long started = System.nanoTime();
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        int exit;
        if (p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            exit = p.exitValue();
        } else {
            p.destroyForcibly().waitFor();
            Files.writeString(log, "\nkilled after " + timeout + "\n", java.nio.file.StandardOpenOption.APPEND);
            exit = -1;
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        return new Run(exit, Files.readString(log), seconds, GcLog.parse(gcLog));
    }
}
