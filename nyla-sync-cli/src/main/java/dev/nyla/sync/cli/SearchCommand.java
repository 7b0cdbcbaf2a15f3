package dev.nyla.sync.cli;

import dev.nyla.sync.NylaSyncException;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.embed.Embedder;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.SearchHit;
import dev.nyla.sync.store.SearchRequest;
import dev.nyla.sync.store.VectorStore;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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

/**
 * {@code nyla-sync search}: queries against the active version of a store. The store is opened and the
 * query model loaded once for all the queries of a run (loading MiniLM takes seconds; a query, milliseconds).
 */
@Command(name = "search", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Embed the query with the model of the store's active version and print the nearest records: "
                + "score, id and the first line of text.",
                "The words after the options are one query. For several, --queries reads one a line from a file or, "
                        + "with -, from standard input; the model loads once, and each query's hits follow a "
                        + "'query: <text>' line."})
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

    @Option(names = "--queries", paramLabel = "<file|->", description = "Several queries, one a line (blank lines "
            + "skipped), from a file or, with -, from standard input; after the query of the arguments, if any.")
    String queriesFrom;

    @Parameters(arity = "0..*", paramLabel = "<query text>", description = "The question or text to search for "
            + "(quoting is optional: the words are one query).")
    List<String> query = List.of();

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
        List<String> queries = queries();
        try (VectorStore target = StoreOption.openExisting(store)) {
            Generation g = target.activeGeneration().orElseThrow(() -> new NylaSyncException(
                    target.location() + ": no version installed to search; run sync first"));
            try (Embedder embedder = Models.forQueries(g.model(), Optional.ofNullable(model))) {
                int batch = Math.max(1, embedder.preferredBatchSize());
                for (int from = 0; from < queries.size(); from += batch) {
                    List<String> texts = queries.subList(from, Math.min(queries.size(), from + batch));
                    List<float[]> vectors = embedder.embed(texts);
                    for (int i = 0; i < texts.size(); i++) {
                        if (queries.size() > 1) {
                            out.println((from + i == 0 ? "" : "\n") + "query: " + texts.get(i));
                        }
                        List<SearchHit> hits = target.search(SearchRequest.of(tenant, vectors.get(i), k).withFilter(filter));
                        if (hits.isEmpty()) {
                            out.println("no hits in tenant " + tenant + (filter.isEmpty() ? "" : " with " + filter)
                                    + " (version " + g.version() + ", " + g.recordCount() + " records)");
                        }
                        for (SearchHit h : hits) {
                            out.printf(Locale.ROOT, "%.4f  %s  %s%n", h.score(), h.id(),
                                    Format.abbreviate(Format.firstLine(h.text()), 100));
                        }
                    }
                }
            }
        }
        return Main.OK;
    }

    /** The query of the arguments, then those of --queries; at least one, or a usage error. */
    private List<String> queries() throws IOException {
        List<String> all = new ArrayList<>();
        if (!query.isEmpty()) {
            all.add(String.join(" ", query));
        }
        if (queriesFrom != null) {
            BufferedReader in = queriesFrom.equals("-")
                    ? new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))
                    : Files.newBufferedReader(Path.of(queriesFrom), StandardCharsets.UTF_8);
            long before = all.size();
            try (in) {
                in.lines().map(String::strip).filter(l -> !l.isEmpty()).forEach(all::add);
            }
            if (all.size() == before) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--queries " + queriesFrom
                        + ": expected one query a line but " + (queriesFrom.equals("-") ? "standard input" : "the file")
                        + " has none");
            }
        }
        if (all.isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "expected a query: the words after the options, or --queries <file|->");
        }
        return all;
    }
}
