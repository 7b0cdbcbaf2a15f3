package dev.nyla.sync.lucene;

import dev.nyla.sync.store.SearchRequest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Settings of a {@link LuceneVectorStore} and of the Lucene payloads a publisher writes.
 *
 * @param maxConn               HNSW: neighbours per node (Lucene's default 16); more raises recall and memory
 * @param beamWidth             HNSW: candidates considered while building (default 100); more raises recall
 *                              and build time
 * @param quantization          how the graph holds vectors; search results are re-scored at full precision
 * @param overFetch             the graph is searched for at least {@code k × overFetch} candidates, re-scored
 *                              exactly, and the best {@code k} returned
 * @param minCandidates         the graph is searched for at least this many candidates whatever {@code k} (its
 *                              beam, HNSW's {@code ef}): the recall knob at search time. A walk for only
 *                              {@code k × overFetch} candidates misses true neighbours at small {@code k}
 *                              (12 candidates at {@code k = 3}); 0 turns the floor off
 * @param exactSearchThreshold  a search whose tenant and filter match at most this many records scans them
 *                              exactly instead of walking the graph (exact, and faster for small tenants); so
 *                              does one that matches no more records than it would ask the graph for
 * @param mergeThreads          threads that build the graph when segments merge (1: the calling thread)
 *                              while an index is written on a base (updates, deltas, mutable mode)
 * @param ramBufferMb           memory for buffered documents while writing a generation, in MiB
 * @param buildThreads          threads that build the graph of an index written from scratch (a generation
 *                              rebuilt from records, a publisher's full payload). Above 1, documents are
 *                              written without graphs and the one graph is built once, by this many threads,
 *                              when the segments merge into one; 1 builds the graph while documents are added,
 *                              on the writing thread, and merges the segments' graphs (as before this option)
 */
public record LuceneOptions(int maxConn, int beamWidth, Quantization quantization, int overFetch,
                            int minCandidates, int exactSearchThreshold, int mergeThreads, int ramBufferMb,
                            int buildThreads) {

    /**
     * The defaults: HNSW 16/100, no quantization, over-fetch 4, at least 100 candidates, exact scan up to 2,000
     * records, rebuilds on every available processor.
     */
    public static final LuceneOptions DEFAULTS = new LuceneOptions(16, 100, Quantization.NONE, 4, 100, 2_000, 1, 64,
            Math.min(512, Runtime.getRuntime().availableProcessors()));

    public LuceneOptions {
        List<String> problems = new ArrayList<>();
        check(problems, "maxConn", maxConn, 2, 512);
        check(problems, "beamWidth", beamWidth, 2, 3200);
        check(problems, "overFetch", overFetch, 1, 100);
        check(problems, "minCandidates", minCandidates, 0, SearchRequest.MAX_K);
        check(problems, "exactSearchThreshold", exactSearchThreshold, 0, 10_000_000);
        check(problems, "mergeThreads", mergeThreads, 1, 512);
        check(problems, "ramBufferMb", ramBufferMb, 1, 2047);
        check(problems, "buildThreads", buildThreads, 1, 512);
        if (quantization == null) {
            problems.add("quantization: expected none, int7 or int4 but was null");
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("Lucene options: " + String.join("; ", problems));
        }
    }

    private static void check(List<String> problems, String name, int value, int min, int max) {
        if (value < min || value > max) {
            problems.add(name + ": expected " + min + ".." + max + " but was " + value);
        }
    }

    /** These options with another HNSW graph shape. */
    public LuceneOptions withHnsw(int newMaxConn, int newBeamWidth) {
        return new LuceneOptions(newMaxConn, newBeamWidth, quantization, overFetch, minCandidates, exactSearchThreshold,
                mergeThreads, ramBufferMb, buildThreads);
    }

    /** These options with another quantization. */
    public LuceneOptions withQuantization(Quantization q) {
        return new LuceneOptions(maxConn, beamWidth, q, overFetch, minCandidates, exactSearchThreshold, mergeThreads,
                ramBufferMb, buildThreads);
    }

    /** These options with another over-fetch factor. */
    public LuceneOptions withOverFetch(int factor) {
        return new LuceneOptions(maxConn, beamWidth, quantization, factor, minCandidates, exactSearchThreshold,
                mergeThreads, ramBufferMb, buildThreads);
    }

    /** These options with another floor of graph candidates (0: only {@code k × overFetch}). */
    public LuceneOptions withMinCandidates(int candidates) {
        return new LuceneOptions(maxConn, beamWidth, quantization, overFetch, candidates, exactSearchThreshold,
                mergeThreads, ramBufferMb, buildThreads);
    }

    /** These options with another exact-search threshold (0: always walk the graph when possible). */
    public LuceneOptions withExactSearchThreshold(int records) {
        return new LuceneOptions(maxConn, beamWidth, quantization, overFetch, minCandidates, records, mergeThreads,
                ramBufferMb, buildThreads);
    }

    /** These options with another number of graph-merge threads. */
    public LuceneOptions withMergeThreads(int threads) {
        return new LuceneOptions(maxConn, beamWidth, quantization, overFetch, minCandidates, exactSearchThreshold, threads,
                ramBufferMb, buildThreads);
    }

    /** These options with another indexing buffer size. */
    public LuceneOptions withRamBufferMb(int mb) {
        return new LuceneOptions(maxConn, beamWidth, quantization, overFetch, minCandidates, exactSearchThreshold,
                mergeThreads, mb, buildThreads);
    }

    /** These options with another number of threads for building an index from scratch (1: one thread). */
    public LuceneOptions withBuildThreads(int threads) {
        return new LuceneOptions(maxConn, beamWidth, quantization, overFetch, minCandidates, exactSearchThreshold,
                mergeThreads, ramBufferMb, threads);
    }

    /**
     * Options from location parameters such as {@code maxConn=32&quantization=int7}; unnamed settings keep
     * their defaults.
     *
     * @throws IllegalArgumentException naming an unknown parameter or a bad value
     */
    public static LuceneOptions parse(String query) {
        Map<String, String> params = new LinkedHashMap<>();
        if (query != null && !query.isEmpty()) {
            for (String pair : query.split("&")) {
                int eq = pair.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("Lucene option '" + pair + "': expected name=value");
                }
                params.put(pair.substring(0, eq), pair.substring(eq + 1));
            }
        }
        LuceneOptions o = DEFAULTS;
        for (Map.Entry<String, String> e : params.entrySet()) {
            String v = e.getValue();
            o = switch (e.getKey()) {
                case "maxConn" -> o.withHnsw(integer(e), o.beamWidth);
                case "beamWidth" -> o.withHnsw(o.maxConn, integer(e));
                case "quantization" -> o.withQuantization(Quantization.fromWireName(v));
                case "overFetch" -> o.withOverFetch(integer(e));
                case "minCandidates" -> o.withMinCandidates(integer(e));
                case "exactSearchThreshold" -> o.withExactSearchThreshold(integer(e));
                case "mergeThreads" -> o.withMergeThreads(integer(e));
                case "ramBufferMb" -> o.withRamBufferMb(integer(e));
                case "buildThreads" -> o.withBuildThreads(integer(e));
                default -> throw new IllegalArgumentException("Lucene option '" + e.getKey() + "': expected one of "
                        + "maxConn, beamWidth, quantization, overFetch, minCandidates, exactSearchThreshold, mergeThreads, "
                        + "ramBufferMb, buildThreads");
            };
        }
        return o;
    }

    private static int integer(Map.Entry<String, String> e) {
        try {
            return Integer.parseInt(e.getValue());
        } catch (NumberFormatException x) {
            throw new IllegalArgumentException("Lucene option " + e.getKey() + ": expected an integer but was '"
                    + e.getValue() + "'");
        }
    }
}
