package dev.nyla.sync.lucene;

import dev.nyla.sync.client.KillDuringInstallContract;
import dev.nyla.sync.store.VectorStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Installs into a Lucene store from the portable records (the versions carry no Lucene payload), killed with
 * SIGKILL, leave exactly the old or the new version.
 */
class LuceneKillDuringInstallTest extends KillDuringInstallContract {
    private Path root;

    @Override
    protected String location(Path directory) {
        root = directory;
        return "lucene:" + directory;
    }

    @Override
    protected List<String> leftovers(VectorStore store) throws IOException {
        return directoryLeftovers(root, store);
    }
}
