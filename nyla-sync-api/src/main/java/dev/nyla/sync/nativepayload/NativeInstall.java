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
 * {@link #filesToFetch()}, verifies its size and SHA-256, hands it over with {@link #put}, then
 * {@link #commit()}s. Used by one thread. Closing an install that was not committed removes what it wrote.
 */
public interface NativeInstall extends Closeable {

    /** The payload files the store does not hold yet, in the payload's order. */
    List<PayloadFile> filesToFetch();

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
