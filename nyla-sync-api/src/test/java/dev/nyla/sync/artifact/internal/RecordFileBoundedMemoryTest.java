package dev.nyla.sync.artifact.internal;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A million 384-float records (1.6 GB) are written and read back, all checks on, by a JVM whose heap is
 * capped at 64 MiB (a quarter of the 256 MiB the project promises): the format's reader and writer stream
 * with bounded memory. The file goes under target/, not /tmp, which may be a small RAM disk. The count
 * can be lowered for a quick local run with {@code -Dnyla.boundedMemory.records=N}.
 */
class RecordFileBoundedMemoryTest {

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void aMillionBy384PayloadIsWrittenAndReadWithA64MiBHeap() throws IOException, InterruptedException {
        int count = Integer.getInteger("nyla.boundedMemory.records", 1_000_000);
        Path dir = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "bounded-memory-");
        try {
            Path log = dir.resolve("child.log");
            Path java = Path.of(System.getProperty("java.home"), "bin", "java");
            Process p = new ProcessBuilder(List.of(java.toString(), "-Xmx64m", "-XX:+UseSerialGC",
                    "-cp", System.getProperty("java.class.path"), BoundedMemoryMain.class.getName(),
                    dir.toString(), String.valueOf(count), "384"))
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(9, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                fail("child JVM did not finish in 9 minutes: " + Files.readString(log));
            }
            String output = Files.readString(log);
            assertEquals(0, p.exitValue(), "child JVM output:\n" + output);
            assertTrue(output.contains("written=" + count + " read=" + count), output);
            assertTrue(output.contains("sumsEqual=true"), output);
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path f : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(f);
                }
            }
        }
    }
}
