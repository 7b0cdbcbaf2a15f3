package dev.nyla.sync.lucene;

import dev.nyla.sync.store.StoreException;
import dev.nyla.sync.store.VectorStore;
import dev.nyla.sync.store.VectorStoreProvider;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Serves {@code lucene:<directory>[?option=value&...]} locations with a {@link LuceneVectorStore}; the
 * options are those of {@link LuceneOptions#parse}, e.g. {@code lucene:/var/nyla?quantization=int7}.
 */
public final class LuceneStoreProvider implements VectorStoreProvider {
    /**
     * The provider {@link java.util.ServiceLoader} finds; applications open stores with
     * {@link dev.nyla.sync.store.VectorStores}.
     */
    public LuceneStoreProvider() {
    }

    @Override
    public String scheme() {
        return "lucene";
    }

    @Override
    public String locationSyntax() {
        return "lucene:<directory>[?maxConn=16&beamWidth=100&quantization=none|int7|int4&overFetch=4&minCandidates=100]";
    }

    @Override
    public VectorStore open(String location) throws IOException {
        return LuceneVectorStore.open(path(location), options(location));
    }

    /** The active generation without the writer's lock: see {@link LuceneVectorStore#openReadOnly(Path, LuceneOptions)}. */
    @Override
    public VectorStore openReadOnly(String location) throws IOException {
        return LuceneVectorStore.openReadOnly(path(location), options(location));
    }

    private Path path(String location) throws StoreException {
        String rest = location.substring("lucene:".length());
        int q = rest.indexOf('?');
        String path = q < 0 ? rest : rest.substring(0, q);
        if (path.isBlank()) {
            throw new StoreException(location + ": expected " + locationSyntax() + " but the directory is missing");
        }
        return Path.of(path);
    }

    private static LuceneOptions options(String location) throws StoreException {
        String rest = location.substring("lucene:".length());
        int q = rest.indexOf('?');
        try {
            return LuceneOptions.parse(q < 0 ? "" : rest.substring(q + 1));
        } catch (IllegalArgumentException e) {
            throw new StoreException(location + ": " + e.getMessage());
        }
    }
}
