package dev.nyla.sync.store.internal;

import dev.nyla.sync.store.StoreException;
import dev.nyla.sync.store.VectorStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens a directory store for reading beside its writer. The writer may replace the active generation (and
 * delete the old one) between the moment a reader reads the {@code CURRENT} pointer and the moment it has
 * opened that generation; the open then starts over with the new pointer, a few times, before it gives up
 * naming the store. A failure while the pointer stayed the same is the store's own and is thrown as it is.
 *
 * <p>For store adapters that keep their generations in a directory with a {@code CURRENT} file; not needed by
 * applications.
 */
public final class ActiveGenerationReader {
    /** The pointer file naming the active generation, in the store directory. */
    public static final String POINTER = "CURRENT";
    private static final int ATTEMPTS = 5;
    private static final Logger LOG = LoggerFactory.getLogger(ActiveGenerationReader.class);

    /** One attempt at opening the store; it releases what it opened before it throws. */
    @FunctionalInterface
    public interface Attempt {
        /** Opens the store as its {@code CURRENT} pointer now names it. */
        VectorStore open() throws IOException;
    }

    private ActiveGenerationReader() {
    }

    /**
     * The store in {@code root} opened by {@code attempt}, as a {@linkplain ReadOnlyVectorStore read-only view}.
     *
     * @param location how the store is named in messages, such as {@code lucene:/var/lib/app/kb}
     * @throws StoreException when {@code root} is not a directory, or the active generation changed on every attempt
     */
    public static ReadOnlyVectorStore open(String location, Path root, Attempt attempt) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new StoreException(location, "store directory", "an existing directory",
                    Files.exists(root) ? "not a directory" : "missing");
        }
        for (int n = 1; ; n++) {
            byte[] before = pointer(root);
            try {
                return ReadOnlyVectorStore.of(attempt.open());
            } catch (IOException | RuntimeException e) {
                if (Arrays.equals(before, pointer(root))) {
                    throw e;
                }
                if (n == ATTEMPTS) {
                    throw new StoreException(location + ": the active generation changed " + n + " times while it "
                            + "was being opened (a writer is installing); try again", e);
                }
                LOG.debug("{}: the active generation changed while it was being opened; opening the new one", location);
            }
        }
    }

    private static byte[] pointer(Path root) throws IOException {
        try {
            return Files.readAllBytes(root.resolve(POINTER));
        } catch (NoSuchFileException e) {
            return new byte[0];
        }
    }
}
