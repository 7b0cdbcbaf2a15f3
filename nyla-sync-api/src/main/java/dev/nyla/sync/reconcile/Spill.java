package dev.nyla.sync.reconcile;

import dev.nyla.sync.SourceRecord;
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
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * A list appended to and read back in order that moves to a temporary file once it outgrows a count or a
 * byte budget: what keeps a sync of a tenant with a million missing records, or a run over a million
 * tenants, within a small heap. Closing it closes its open readers and deletes the file.
 */
final class Spill<T> implements Closeable {
    /** Writes and reads one element. */
    interface Codec<T> {
        void write(DataOutputStream out, T value) throws IOException;

        T read(DataInputStream in) throws IOException;

        /** Roughly how many bytes the element takes on the heap. */
        long weight(T value);
    }

    /** Heap bytes held before spilling, whatever the count. */
    static final long MEMORY_BYTES = 8 << 20;

    static final Codec<String> STRINGS = new Codec<>() {
        @Override
        public void write(DataOutputStream out, String value) throws IOException {
            writeString(out, value);
        }

        @Override
        public String read(DataInputStream in) throws IOException {
            return readString(in);
        }

        @Override
        public long weight(String value) {
            return 48 + 2L * value.length();
        }
    };

    static final Codec<SourceRecord> RECORDS = new Codec<>() {
        @Override
        public void write(DataOutputStream out, SourceRecord r) throws IOException {
            writeString(out, r.tenant());
            writeString(out, r.id());
            writeString(out, r.text());
            out.writeInt(r.metadata().size());
            for (Map.Entry<String, String> e : r.metadata().entrySet()) {
                writeString(out, e.getKey());
                writeString(out, e.getValue());
            }
        }

        @Override
        public SourceRecord read(DataInputStream in) throws IOException {
            String tenant = readString(in);
            String id = readString(in);
            String text = readString(in);
            int n = in.readInt();
            Map<String, String> metadata = new HashMap<>();
            for (int i = 0; i < n; i++) {
                metadata.put(readString(in), readString(in));
            }
            return new SourceRecord(tenant, id, text, metadata);
        }

        @Override
        public long weight(SourceRecord r) {
            long w = 160 + 2L * (r.id().length() + r.text().length());
            for (Map.Entry<String, String> e : r.metadata().entrySet()) {
                w += 96 + 2L * (e.getKey().length() + e.getValue().length());
            }
            return w;
        }
    };

    private final Path directory;
    private final int memoryLimit;
    private final Codec<T> codec;
    private final List<T> memory = new ArrayList<>();
    private final List<Closeable> readers = new ArrayList<>();
    private long memoryWeight;
    private Path file;
    private DataOutputStream out;
    private long size;

    Spill(Path directory, int memoryLimit, Codec<T> codec) {
        this.directory = directory;
        this.memoryLimit = memoryLimit;
        this.codec = codec;
    }

    void add(T value) throws IOException {
        size++;
        if (out == null) {
            long w = codec.weight(value);
            if (memory.size() < memoryLimit && memoryWeight + w <= MEMORY_BYTES) {
                memory.add(value);
                memoryWeight += w;
                return;
            }
            Files.createDirectories(directory);
            file = Files.createTempFile(directory, "nyla-reconcile-", ".spill");
            out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 16));
            for (T m : memory) {
                codec.write(out, m);
            }
            memory.clear();
            memoryWeight = 0;
        }
        codec.write(out, value);
    }

    long size() {
        return size;
    }

    /** Whether the elements went to a file. */
    boolean spilled() {
        return file != null;
    }

    /** The elements in the order added. A file-backed reader stays open until read to its end or this spill closes. */
    Iterator<T> iterator() throws IOException {
        if (out == null) {
            return memory.iterator();
        }
        out.flush();
        DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16));
        readers.add(in);
        long total = size;
        return new Iterator<>() {
            private long read;

            @Override
            public boolean hasNext() {
                if (read == total) {
                    try {
                        in.close();
                    } catch (IOException ignored) {
                        // a read-only stream: nothing is lost
                    }
                    return false;
                }
                return true;
            }

            @Override
            public T next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                try {
                    T value = codec.read(in);
                    read++;
                    return value;
                } catch (EOFException e) {
                    throw new UncheckedIOException(file + ": spill file ended after " + read + " of " + total, e);
                } catch (IOException e) {
                    throw new UncheckedIOException(file + ": " + e.getMessage(), e);
                }
            }
        };
    }

    @Override
    public void close() throws IOException {
        memory.clear();
        IOException failure = null;
        List<Closeable> toClose = new ArrayList<>(readers);
        if (out != null) {
            toClose.add(out);
        }
        for (Closeable c : toClose) {
            try {
                c.close();
            } catch (IOException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        readers.clear();
        out = null;
        if (file != null) {
            Files.deleteIfExists(file);
        }
        if (failure != null) {
            throw failure;
        }
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static String readString(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0) {
            throw new IOException("spill file: string length: expected >= 0 but was " + n);
        }
        byte[] b = new byte[n];
        in.readFully(b);
        return new String(b, StandardCharsets.UTF_8);
    }
}
