package dev.nyla.sync.internal;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Background forces while a file is written: when they start, what they leave intact, how failures surface. */
class WritebackTest {
    private static final int CHUNK = 64 << 10;
    private static final long STEP = 1 << 20;

    @TempDir
    Path dir;
    private final ExecutorService background = Executors.newSingleThreadExecutor();

    @AfterEach
    void stop() {
        background.shutdownNow();
    }

    @Test
    void forcesOnAnotherThreadEveryStepAndLeavesTheBytesAsWritten() throws IOException {
        byte[] content = new byte[5 * (int) STEP + 12_345];
        new SplittableRandom(3).nextBytes(content);
        AtomicInteger ran = new AtomicInteger();
        Thread writer = Thread.currentThread();
        AtomicInteger onWriter = new AtomicInteger();
        Path file = dir.resolve("f");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
             Writeback w = Writeback.of(ch, file.toString(), STEP, task -> background.execute(() -> {
                 if (Thread.currentThread() == writer) {
                     onWriter.incrementAndGet();
                 }
                 task.run();
                 ran.incrementAndGet();
             }))) {
            for (int off = 0; off < content.length; off += CHUNK) {
                int n = Math.min(CHUNK, content.length - off);
                ByteBuffer b = ByteBuffer.wrap(content, off, n);
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                w.written(n);
            }
            w.finish();
            // At most one force per step, and the first step's force always starts: nothing was pending then.
            assertTrue(w.started() >= 1 && w.started() <= 5, "forces started: " + w.started());
            background.shutdown();
            assertTrue(background.awaitTermination(1, java.util.concurrent.TimeUnit.MINUTES));
            assertEquals(w.started(), ran.get());
            assertEquals(0, onWriter.get());
            ch.force(true);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        assertArrayEquals(content, Files.readAllBytes(file));
    }

    @Test
    void noForceBeforeAStepIsWritten() throws IOException {
        Path file = dir.resolve("small");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
             Writeback w = Writeback.of(ch, file.toString(), STEP, Runnable::run)) {
            w.written(STEP - 1);
            w.finish();
            assertEquals(0, w.started());
            w.written(1);
            assertEquals(1, w.started());
        }
    }

    @Test
    void aFailedBackgroundForceIsReportedNamingTheFile() throws IOException {
        Path file = dir.resolve("part");
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        try (Writeback w = Writeback.of(ch, "downloads/x.part", STEP, Runnable::run)) {
            ch.write(ByteBuffer.wrap(new byte[CHUNK]));
            ch.close(); // the force then fails as a failed write-back would
            w.written(STEP);
            IOException e = assertThrows(IOException.class, w::finish);
            assertTrue(e.getMessage().startsWith("downloads/x.part: "), e.getMessage());
            assertInstanceOf(ClosedChannelException.class, e.getCause());
        }
    }

    @Test
    void aFailureIsReportedByTheNextWriteOnceKnown() throws IOException {
        Path file = dir.resolve("part");
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        try (Writeback w = Writeback.of(ch, "x.part", STEP, Runnable::run)) {
            ch.close();
            w.written(STEP);
            assertThrows(IOException.class, () -> w.written(STEP));
        }
    }

    @Test
    void withoutAThreadTheFileIsForcedAtTheEndOnly() throws IOException {
        Path file = dir.resolve("f");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
             Writeback w = Writeback.of(ch, file.toString(), STEP, task -> {
                 throw new RejectedExecutionException("no threads here");
             })) {
            w.written(3 * STEP);
            w.written(3 * STEP);
            w.finish();
            assertEquals(0, w.started());
        }
    }
}
