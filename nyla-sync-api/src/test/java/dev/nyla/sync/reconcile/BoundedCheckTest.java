package dev.nyla.sync.reconcile;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A check of a tenant with a million ids runs in a JVM whose heap is capped at 24 MiB, and its counts are
 * exact: the diff streams both sides instead of collecting them (collecting a million ids with their hashes
 * would take over 150 MiB). {@code -Dnyla.boundedCheck.ids=N} lowers the count for a quick run.
 */
class BoundedCheckTest {

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void aMillionIdsAreDiffedWithA24MiBHeap(@TempDir Path dir) throws IOException, InterruptedException {
        int n = Integer.getInteger("nyla.boundedCheck.ids", 1_000_000);
        Path log = dir.resolve("child.log");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(List.of(java.toString(), "-Xmx24m", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"), BoundedCheckMain.class.getName(), String.valueOf(n)))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(4, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            fail("child JVM did not finish in 4 minutes: " + Files.readString(log));
        }
        String output = Files.readString(log);
        assertEquals(0, p.exitValue(), "child JVM output:\n" + output);
        long stale = (n + 99) / 100;
        long missing = n > 1 ? (n - 2) / 100 + 1 : 0;
        long changed = n > 2 ? (n - 3) / 1000 + 1 : 0;
        String expected = "source=" + (n - stale) + " store=" + (n - missing) + " missing=" + missing + " stale="
                + stale + " changed=" + changed + " mismatch=0 firstMissing=id-0000001";
        assertTrue(output.contains(expected), "expected " + expected + " in:\n" + output);
    }
}
