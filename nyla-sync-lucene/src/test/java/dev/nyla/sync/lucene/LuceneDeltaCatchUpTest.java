package dev.nyla.sync.lucene;

import dev.nyla.sync.client.DeltaCatchUpContract;
import dev.nyla.sync.store.VectorStore;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Catching up by one delta on Lucene, from the records: the versions carry no Lucene payload, so the store
 * applies the portable delta to a copy of its index.
 */
class LuceneDeltaCatchUpTest extends DeltaCatchUpContract {
    @Override
    protected VectorStore openStore(Path directory) throws IOException {
        return LuceneVectorStore.open(directory);
    }
}
