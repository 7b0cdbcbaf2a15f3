package dev.nyla.sync.client;

import dev.nyla.sync.store.VectorStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Installs into a file store killed with SIGKILL leave exactly the old or the new version. */
class FileKillDuringInstallTest extends KillDuringInstallContract {
    private Path root;

    @Override
    protected String location(Path directory) {
        root = directory;
        return "file:" + directory;
    }

    @Override
    protected List<String> leftovers(VectorStore store) throws IOException {
        return directoryLeftovers(root, store);
    }
}
