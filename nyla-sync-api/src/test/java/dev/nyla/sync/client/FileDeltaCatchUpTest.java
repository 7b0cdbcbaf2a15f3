package dev.nyla.sync.client;

import dev.nyla.sync.store.VectorStore;
import dev.nyla.sync.store.internal.FileVectorStore;
import java.io.IOException;
import java.nio.file.Path;

/** Catching up by one delta on the file store. */
class FileDeltaCatchUpTest extends DeltaCatchUpContract {
    @Override
    protected VectorStore openStore(Path directory) throws IOException {
        return FileVectorStore.open(directory);
    }
}
