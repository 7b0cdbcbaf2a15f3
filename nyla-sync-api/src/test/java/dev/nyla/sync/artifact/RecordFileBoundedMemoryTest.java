package dev.nyla.sync.artifact;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A million 384-float records (1.6 GB) are written and read back, all checks on, by a JVM limited to a
 * 256 MiB heap: the format's reader and writer stream with bounded memory. The size can be lowered for a
 * quick local run with {@code -Dnyla.boundedMemory.records=N}.
 */
class RecordFileBoundedMemoryTest {
    @TempDir
    Path dir;

    @Test
    void aMillionBy384PayloadIsWrittenAndReadWithA256MiBHeap() throws IOException, InterruptedException {
        int count = Integer.getInteger("nyla.boundedMemory.records", 1_000_000);
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(List.of(java.toString(), "-Xmx256m", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"), BoundedMemoryMain.class.getName(),
                dir.toString(), String.valueOf(count), "384"))
                .redirectErrorStream(true).start();
        String output;
        try (var in = p.getInputStream()) {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertTrue(p.waitFor(10, TimeUnit.MINUTES), "child JVM finished");
        assertEquals(0, p.exitValue(), "child JVM output:\n" + output);
        assertTrue(output.contains("written=" + count + " read=" + count), output);
        assertTrue(output.contains("sumsEqual=true"), output);
        System.out.println(output.trim());
    }
}
