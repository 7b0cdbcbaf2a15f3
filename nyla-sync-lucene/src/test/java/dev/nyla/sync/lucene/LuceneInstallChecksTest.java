package dev.nyla.sync.lucene;

import dev.nyla.sync.client.InstallChecksContract;
import dev.nyla.sync.store.VectorStore;
import java.io.IOException;
import java.nio.file.Path;

/** The install-time checks on Lucene, installing from the records (the versions carry no Lucene payload). */
class LuceneInstallChecksTest extends InstallChecksContract {
    @Override
    protected VectorStore openStore(Path directory) throws IOException {
        return LuceneVectorStore.open(directory);
    }
}
