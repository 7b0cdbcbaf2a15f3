package dev.nyla.sync.store.providers;

import dev.nyla.sync.store.StoreException;
import dev.nyla.sync.store.VectorStore;
import dev.nyla.sync.store.VectorStoreProvider;
import dev.nyla.sync.store.internal.FileVectorStore;
import java.io.IOException;
import java.nio.file.Path;

/** Serves {@code file:<directory>} locations with a {@link FileVectorStore}. */
public final class FileVectorStoreProvider implements VectorStoreProvider {
    @Override
    public String scheme() {
        return "file";
    }

    @Override
    public String locationSyntax() {
        return "file:<directory> (exact search in memory, kept on disk)";
    }

    @Override
    public VectorStore open(String location) throws IOException {
        return FileVectorStore.open(directory(location));
    }

    /** Without the writer's lock, creating and cleaning up nothing: see {@link FileVectorStore#openReadOnly}. */
    @Override
    public VectorStore openReadOnly(String location) throws IOException {
        return FileVectorStore.openReadOnly(directory(location));
    }

    private static Path directory(String location) throws StoreException {
        String path = location.substring("file:".length());
        if (path.isBlank()) {
            throw new StoreException(location + ": expected file:<directory> but the directory is missing");
        }
        return Path.of(path);
    }
}
