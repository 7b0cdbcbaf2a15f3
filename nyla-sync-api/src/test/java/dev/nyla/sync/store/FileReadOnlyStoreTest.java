package dev.nyla.sync.store;

import dev.nyla.sync.store.internal.FileVectorStore;
import java.io.IOException;
import java.nio.file.Path;

/** The file store opened read-only beside its writer. */
class FileReadOnlyStoreTest extends ReadOnlyStoreContract {
    @Override
    protected VectorStore openWriter(Path directory) throws IOException {
        return FileVectorStore.open(directory);
    }

    @Override
    protected VectorStore openReadOnly(Path directory) throws IOException {
        return FileVectorStore.openReadOnly(directory);
    }

    @Override
    protected String location(Path directory) {
        return "file:" + directory;
    }
}
