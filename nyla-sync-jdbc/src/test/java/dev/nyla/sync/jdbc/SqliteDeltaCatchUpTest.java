package dev.nyla.sync.jdbc;

import dev.nyla.sync.client.DeltaCatchUpContract;
import dev.nyla.sync.store.VectorStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Catching up by one delta on SQLite. */
class SqliteDeltaCatchUpTest extends DeltaCatchUpContract {
    @Override
    protected VectorStore openStore(Path directory) throws IOException {
        return JdbcVectorStore.openEmbedded(Files.createDirectories(directory).resolve("vectors.db"));
    }
}
