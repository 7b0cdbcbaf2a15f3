package dev.nyla.sync.jdbc;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A child JVM for {@link TenantLockTest}: opens the SQLite store at {@code args[0]}, takes the lock of tenant
 * {@code args[1]}, creates {@code args[2]/locked}, and holds the lock until {@code args[2]/release} appears.
 */
public final class SidecarLockMain {
    private SidecarLockMain() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[2]);
        try (JdbcVectorStore store = JdbcVectorStore.openEmbedded(Path.of(args[0]));
             Closeable lock = store.lockTenant(args[1], Duration.ofSeconds(30))) {
            Files.createFile(dir.resolve("locked"));
            await(dir.resolve("release"), null);
        }
    }

    /** Waits until {@code file} exists; fails when {@code process} (if any) ended first. */
    static void await(Path file, Process process) throws IOException, InterruptedException {
        while (!Files.exists(file)) {
            if (process != null && !process.isAlive()) {
                throw new IOException("child ended (exit " + process.exitValue() + ") before " + file + " appeared");
            }
            Thread.sleep(5); // polling a file another process creates; the order comes from the file, not the pause
        }
    }
}
