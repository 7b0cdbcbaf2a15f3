package dev.nyla.sync.cli;

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
}
