package dev.nyla.sync.reconcile;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * A list of ids, appended in ascending order and read back in the same order, that moves to a temporary
 * file once it outgrows a few thousand entries: what keeps a sync of a tenant with a million missing or
 * stale ids within a small heap. The file is deleted on {@link #close()}.
 */
final class IdSpill implements Closeable {
    private final Path directory;
    private final int memoryLimit;
    private final List<String> memory = new ArrayList<>();
    private Path file;
    private DataOutputStream out;
    private long size;

    IdSpill(Path directory, int memoryLimit) {
        this.directory = directory;
        this.memoryLimit = memoryLimit;
    }

    void add(String id) throws IOException {
        size++;
        if (out == null && memory.size() < memoryLimit) {
            memory.add(id);
            return;
        }
        if (out == null) {
            Files.createDirectories(directory);
            file = Files.createTempFile(directory, "nyla-reconcile-", ".ids");
            out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 16));
            for (String m : memory) {
                write(m);
            }
            memory.clear();
        }
        write(id);
    }

    private void write(String id) throws IOException {
        byte[] b = id.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    long size() {
        return size;
    }

    /** The ids in the order added; a file-backed iterator holds an open file until exhausted or this spill closes. */
    Iterator<String> iterator() throws IOException {
        if (out == null) {
            return memory.iterator();
        }
        out.flush();
        DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16));
        return new Iterator<>() {
            private long read;

            @Override
            public boolean hasNext() {
                if (read == size) {
                    closeQuietly();
                    return false;
                }
                return true;
            }

            @Override
            public String next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                try {
                    byte[] b = new byte[in.readInt()];
                    in.readFully(b);
                    read++;
                    return new String(b, StandardCharsets.UTF_8);
                } catch (EOFException e) {
                    throw new UncheckedIOException(file + ": spill file ended after " + read + " of " + size + " ids", e);
                } catch (IOException e) {
                    throw new UncheckedIOException(file + ": " + e.getMessage(), e);
                }
            }

            private void closeQuietly() {
                try {
                    in.close();
                } catch (IOException ignored) {
                    // read-only stream; nothing to lose
                }
            }
        };
    }

    /** Whether the ids went to a file (for tests of the bounded-memory path). */
    boolean spilled() {
        return file != null;
    }

    @Override
    public void close() throws IOException {
        memory.clear();
        if (out != null) {
            out.close();
            out = null;
        }
        if (file != null) {
            Files.deleteIfExists(file);
        }
    }
}
