package dev.nyla.sync.internal;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Lets the disk write a large file while more of it is still being received and hashed, so that the final
 * {@link FileChannel#force force} finds little left to write. The page cache otherwise holds every byte
 * until that force (Linux starts writing dirty pages back only after 30 s or above a tenth of memory), and
 * the force then writes the whole file while the caller waits: 70 ms of a 300 ms install of a 160 MB
 * payload. Forcing every {@link #DEFAULT_STEP} bytes from a background thread overlaps that writing with
 * the hash of the next bytes: copying and hashing a 164 MB payload took 235 ms with it against 292 ms
 * without, on two cores ({@code benchmarks/README.md}).
 *
 * <p>Not a durability step: the caller forces the file itself when it is complete, after {@link #finish}.
 * A background force that failed is reported by {@link #finish}, never only logged: Linux reports a failed
 * write-back to one {@code fsync} of a file description, so the caller's own force could succeed after it.
 *
 * <p>One thread, shared by every file of every client in the JVM and stopped when idle, runs the forces;
 * each file has at most one force waiting or running, so a slow disk delays forces instead of queuing
 * them. Where no thread can be started, the file is forced at the end only, as without this class.
 */
public final class Writeback implements AutoCloseable {
    /** Written bytes between two background forces: large enough that each force writes a useful batch. */
    public static final long DEFAULT_STEP = 8L << 20;

    private static final Executor FORCES = forcer();
    private static final AtomicLong STARTED_IN_JVM = new AtomicLong();

    private final FileChannel channel;
    private final String name;
    private final long step;
    private final Executor executor;
    private long unforced;
    private CompletableFuture<Void> pending;
    private int started;

    private Writeback(FileChannel channel, String name, long step, Executor executor) {
        if (step <= 0) {
            throw new IllegalArgumentException("step must be positive: " + step);
        }
        this.channel = channel;
        this.name = name;
        this.step = step;
        this.executor = executor;
    }

    /**
     * Background write-back of {@code channel}, forced every {@link #DEFAULT_STEP} written bytes; {@code name}
     * names the file in messages.
     */
    public static Writeback of(FileChannel channel, String name) {
        return new Writeback(channel, name, DEFAULT_STEP, FORCES);
    }

    /** As {@link #of(FileChannel, String)}, forced every {@code step} bytes on {@code executor}: for tests. */
    static Writeback of(FileChannel channel, String name, long step, Executor executor) {
        return new Writeback(channel, name, step, executor);
    }

    /**
     * Counts {@code bytes} just written to the channel; starts a background force once {@code step} bytes are
     * unforced and the previous force has finished.
     *
     * @throws IOException the failure of an earlier background force, as soon as it is known
     */
    public void written(long bytes) throws IOException {
        unforced += bytes;
        if (unforced < step) {
            return;
        }
        if (pending != null) {
            if (!pending.isDone()) {
                return;
            }
            await();
        }
        try {
            pending = CompletableFuture.runAsync(this::forceData, executor);
            started++;
            STARTED_IN_JVM.incrementAndGet();
            unforced = 0;
        } catch (RejectedExecutionException e) {
            // No thread to be had: the caller's final force writes everything, as it would without us.
            pending = null;
        }
    }

    /**
     * Waits for the background force still running, if any.
     *
     * @throws IOException when a background force failed: the file's bytes may not reach the disk
     */
    public void finish() throws IOException {
        if (pending != null) {
            await();
        }
    }

    /** Background forces of this file started so far. */
    int started() {
        return started;
    }

    /** Background forces started in this JVM so far, by every file: shows that a writer used this class. */
    public static long startedInJvm() {
        return STARTED_IN_JVM.get();
    }

    /**
     * Waits for a running force, so that the channel is not closed under it; its failure is the caller's to
     * learn from {@link #finish} (a close after a failed write has its own exception to report).
     */
    @Override
    public void close() {
        if (pending != null) {
            try {
                pending.join();
            } catch (RuntimeException e) {
                // Reported by finish(); close only makes sure nothing runs on the channel any more.
            }
        }
    }

    private void forceData() {
        try {
            channel.force(false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void await() throws IOException {
        CompletableFuture<Void> f = pending;
        pending = null;
        try {
            f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException(name + ": interrupted while waiting for the background force");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof UncheckedIOException u) {
                throw new IOException(name + ": writing the bytes received so far to the disk failed ("
                        + u.getCause() + "); check the disk and the space left on it", u.getCause());
            }
            throw new IOException(name + ": the background force failed", cause);
        }
    }

    private static Executor forcer() {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(1, 1, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                r -> {
                    Thread t = new Thread(r, "nyla-sync-writeback");
                    t.setDaemon(true);
                    return t;
                });
        // The thread exists only while files are being written: no thread lingers in an idle application.
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }
}
