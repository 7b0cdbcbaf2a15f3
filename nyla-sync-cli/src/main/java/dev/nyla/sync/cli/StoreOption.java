package dev.nyla.sync.cli;

import dev.nyla.sync.NylaSyncException;
import dev.nyla.sync.store.VectorStore;
import dev.nyla.sync.store.VectorStores;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/** {@code --store} and {@code --state-dir}, for the commands that work on an installed store. */
final class StoreOption {
    @Option(names = "--store", required = true, paramLabel = "<uri>",
            description = "The store: lucene:<dir>, file:<dir>, jdbc:sqlite:<file>, jdbc:postgresql://…, memory:.")
    String uri;

    @Option(names = "--state-dir", paramLabel = "<dir>", description = "The sync client's state directory, if sync "
            + "was given one (default: <store dir>/sync, or ~/.nyla-sync/state/<store name>).")
    Path stateDir;

    Optional<Path> stateDir() {
        return Optional.ofNullable(stateDir);
    }

    /**
     * Opens the existing store read-only, for the commands that only read it ({@code status}, {@code verify}):
     * they work beside a {@code sync --watch} or an application that holds the store, and for a user who may
     * only read it.
     */
    VectorStore openExisting() throws IOException {
        return openExisting(uri);
    }

    /** Opens the existing store for writing ({@code rollback}): one process at a time. */
    VectorStore openForWriting() throws IOException {
        requireExisting(uri);
        return VectorStores.open(uri);
    }

    /**
     * As {@link VectorStores#openReadOnly(String)}, but a {@code file:}, {@code lucene:} or {@code jdbc:sqlite:}
     * location whose directory or file does not exist is an error that says so: commands that read a store must
     * not create an empty one at a mistyped path.
     */
    static VectorStore openExisting(String uri) throws IOException {
        requireExisting(uri);
        return VectorStores.openReadOnly(uri);
    }

    private static void requireExisting(String uri) throws NylaSyncException {
        String where = uri.replaceFirst("\\?.*$", "");
        for (String scheme : new String[] {"file:", "lucene:", "jdbc:sqlite:"}) {
            if (where.startsWith(scheme)) {
                String path = where.substring(scheme.length());
                if (!path.isEmpty() && !path.startsWith(":") && !Files.exists(Path.of(path))) {
                    throw new NylaSyncException("store " + uri + ": " + Path.of(path).toAbsolutePath()
                            + " does not exist (sync creates a store; this command only reads one)");
                }
            }
        }
    }
}
