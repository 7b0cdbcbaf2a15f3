package dev.nyla.sync.nativepayload;

import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.PayloadFile;
import dev.nyla.sync.store.StoreException;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * One store-native install in progress, from {@link NativeInstaller#begin}. The caller downloads each of
 * {@link #filesToFetch()}, feeding its bytes to a {@link #streamingCheck} as it verifies their size and
 * SHA-256, hands it over with {@link #put}, then {@link #commit()}s. Used by one thread. Closing an install
 * that was not committed removes what it wrote.
 */
public interface NativeInstall extends Closeable {

    /** The payload files the store does not hold yet, in the payload's order. */
    List<PayloadFile> filesToFetch();

    /**
     * A new check of {@code file}'s bytes for the caller to feed in the same pass as it hashes them: what the
     * store's format checks of a file without reading it again at {@link #commit()}. A caller that makes no
     * such pass (or one that fails) leaves the store to read the file in full at commit, as with
     * {@link StreamingCheck#NONE}, which a store with nothing to compute returns. A store may refuse a file
     * that is not one of {@link #filesToFetch()} with an {@link IllegalArgumentException}.
     */
    default StreamingCheck streamingCheck(PayloadFile file) {
        return StreamingCheck.NONE;
    }

    /**
     * Takes over a downloaded file whose size and SHA-256 the caller has verified and whose content it has
     * forced to disk. The store moves it into place (or copies it when it cannot be moved, and then forces
     * the copy); the caller must not use {@code verified} afterwards.
     *
     * @throws IllegalArgumentException when {@code file} is not one of {@link #filesToFetch()}
     */
    void put(PayloadFile file, Path verified) throws IOException;

    /**
     * Checks what only the store can check (its format's own checksums, that the files form a readable
     * index of the expected model and dimension) and commits the generation durably. It is not yet active.
     *
     * @throws dev.nyla.sync.IntegrityException when a file fails the format's own checks
     * @throws StoreException when a file of {@link #filesToFetch()} was not put, or the install was closed
     */
    Generation commit() throws IOException;

    /** Discards everything this install wrote, unless committed. */
    @Override
    void close() throws IOException;
}
