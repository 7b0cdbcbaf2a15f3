package dev.nyla.sync.jdbc;

import dev.nyla.sync.store.VectorStore;
import dev.nyla.sync.store.VectorStoreContract;
import java.io.IOException;
import java.nio.file.Path;

/** The store contract on SQLite, the embedded default. */
class SqliteContractTest extends VectorStoreContract {
    @Override
    protected VectorStore openStore(Path directory) throws IOException {
        return JdbcVectorStore.openEmbedded(directory.resolve("vectors.db"));
    }
}
