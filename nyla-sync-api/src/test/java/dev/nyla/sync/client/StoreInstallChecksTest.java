package dev.nyla.sync.client;

import dev.nyla.sync.store.VectorStore;
import dev.nyla.sync.store.internal.FileVectorStore;
import dev.nyla.sync.store.internal.MemoryVectorStore;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

/** The install-time checks on the API's own stores: the file store and the memory store. */
@ParameterizedClass(name = "{0} store")
@ValueSource(strings = {"file", "memory"})
class StoreInstallChecksTest extends InstallChecksContract {
    @Parameter
    String kind;

    @Override
    protected VectorStore openStore(Path directory) throws IOException {
        return kind.equals("file") ? FileVectorStore.open(directory) : new MemoryVectorStore();
    }
}
