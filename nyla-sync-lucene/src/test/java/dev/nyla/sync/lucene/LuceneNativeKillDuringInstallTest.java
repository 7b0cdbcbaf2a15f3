package dev.nyla.sync.lucene;

import dev.nyla.sync.client.KillDuringInstallContract;
import dev.nyla.sync.publish.Publisher;
import dev.nyla.sync.store.VectorStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Installs of prebuilt Lucene indexes, killed with SIGKILL, leave exactly the old or the new version: the
 * delta versions reuse the store's files (NATIVE_DELTA, hard links), the others are compacted by the
 * publisher into all-new files (NATIVE_FULL).
 */
class LuceneNativeKillDuringInstallTest extends KillDuringInstallContract {
    private Path root;

    @Override
    protected String location(Path directory) {
        root = directory;
        return "lucene:" + directory;
    }

    @Override
    protected Publisher.Builder publisher(boolean delta) {
        return super.publisher(delta).compactNativePayloads(!delta)
                .nativePayload(new LucenePayloadFormat(LuceneOptions.DEFAULTS, dir.resolve("publisher-work")));
    }

    @Override
    protected List<String> leftovers(VectorStore store) throws IOException {
        return directoryLeftovers(root, store);
    }
}
