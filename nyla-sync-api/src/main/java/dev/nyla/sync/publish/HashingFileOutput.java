package dev.nyla.sync.publish;

import dev.nyla.sync.ContentHash;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;

/** A new file written through a buffer, hashed and counted on the way, and forced to disk on close. */
final class HashingFileOutput extends OutputStream {
    private final FileChannel channel;
    private final MessageDigest sha = ContentHash.sha256();
    private final ByteBuffer buffer = ByteBuffer.allocate(256 << 10);
    private long size;
    private String sha256;

    HashingFileOutput(Path file) throws IOException {
        this.channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    }

    @Override
    public void write(int b) throws IOException {
        if (!buffer.hasRemaining()) {
            drain();
        }
        buffer.put((byte) b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            if (!buffer.hasRemaining()) {
                drain();
            }
            int n = Math.min(len, buffer.remaining());
            buffer.put(b, off, n);
            off += n;
            len -= n;
        }
    }

    private void drain() throws IOException {
        buffer.flip();
        sha.update(buffer.array(), 0, buffer.limit());
        size += buffer.limit();
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
        buffer.clear();
    }

    @Override
    public void close() throws IOException {
        if (sha256 == null) {
            try (channel) {
                drain();
                channel.force(true);
            }
            sha256 = HexFormat.of().formatHex(sha.digest());
        }
    }

    long size() {
        return size;
    }

    /** The SHA-256 of everything written; only after {@link #close()}. */
    String sha256() {
        if (sha256 == null) {
            throw new IllegalStateException("not closed yet");
        }
        return sha256;
    }
}
