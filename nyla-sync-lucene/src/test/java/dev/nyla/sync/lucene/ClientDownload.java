package dev.nyla.sync.lucene;

import dev.nyla.sync.nativepayload.StreamingCheck;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** What the sync client does with a file of a native install, for tests that drive the installer directly. */
final class ClientDownload {
    private ClientDownload() {
    }

    /**
     * Copies {@code from} to {@code to}, showing every byte to {@code check} in the same pass, and completes it:
     * the client's download with the store's check riding along (the hash is the client's business).
     */
    static void copy(Path from, Path to, StreamingCheck check) throws IOException {
        try (InputStream in = Files.newInputStream(from); OutputStream out = Files.newOutputStream(to)) {
            byte[] buf = new byte[8192];
            for (int n; (n = in.read(buf)) > 0; ) {
                check.update(buf, 0, n);
                out.write(buf, 0, n);
            }
        }
        check.complete();
    }
}
