package dev.nyla.sync.cli;

import dev.nyla.sync.NylaSyncException;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.embed.Embedder;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.SearchHit;
import dev.nyla.sync.store.SearchRequest;
import dev.nyla.sync.store.VectorStore;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code nyla-sync search}: a query against the active version of a store. */
@Command(name = "search", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Embed the query with the model of the store's active version and print the nearest records: "
                + "score, id and the first line of text.")
final class SearchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--store", required = true, paramLabel = "<uri>", description = "The store to search.")
    String store;

    @Option(names = "--tenant", paramLabel = "<id>", defaultValue = VectorRecord.DEFAULT_TENANT,
            description = "The tenant whose records are searched (default: ${DEFAULT-VALUE}).")
    String tenant;

    @Option(names = "--k", paramLabel = "<n>", defaultValue = "5", description = "How many hits (default: ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--filter", paramLabel = "<key=value>", description = "Only records whose metadata has this entry; "
            + "repeat for several (all must match).")
    List<String> filters = List.of();

    @Option(names = "--model", paramLabel = "<model>", description = "The query model, when the store's is not bundled: "
            + Models.SYNTAX + ".")
    String model;

    @Parameters(arity = "1..*", paramLabel = "<query text>", description = "The question or text to search for.")
    List<String> query;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (k < 1 || k > SearchRequest.MAX_K) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--k: expected 1.." + SearchRequest.MAX_K + " but was " + k);
        }
        Map<String, String> filter = new LinkedHashMap<>();
        for (String f : filters) {
            int eq = f.indexOf('=');
            if (eq < 1) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--filter: expected key=value but was '" + f + "'");
            }
            filter.put(f.substring(0, eq), f.substring(eq + 1));
        }
        String text = String.join(" ", query);
        try (VectorStore target = StoreOption.openExisting(store)) {
            Generation g = target.activeGeneration().orElseThrow(() -> new NylaSyncException(
                    target.location() + ": no version installed to search; run sync first"));
            try (Embedder embedder = Models.forQueries(g.model(), Optional.ofNullable(model))) {
                List<SearchHit> hits = target.search(SearchRequest.of(tenant, embedder.embed(text), k).withFilter(filter));
                if (hits.isEmpty()) {
                    out.println("no hits in tenant " + tenant + (filter.isEmpty() ? "" : " with " + filter)
                            + " (version " + g.version() + ", " + g.recordCount() + " records)");
                }
                for (SearchHit h : hits) {
                    out.printf(Locale.ROOT, "%.4f  %s  %s%n", h.score(), h.id(), Format.abbreviate(Format.firstLine(h.text()), 100));
                }
            }
        }
        return Main.OK;
    }
}
