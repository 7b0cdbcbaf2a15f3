package dev.nyla.sync.langchain4j;

import dev.langchain4j.store.embedding.filter.Filter;
import dev.langchain4j.store.embedding.filter.comparison.IsEqualTo;
import dev.langchain4j.store.embedding.filter.comparison.IsIn;
import dev.langchain4j.store.embedding.filter.logical.And;
import dev.langchain4j.store.embedding.filter.logical.Or;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns a LangChain4j metadata {@link Filter} into the filters a nyla {@code SearchRequest} takes: each a map of
 * metadata entries a hit must have, all of them. A nyla store filters on equality only, so a filter becomes a
 * union of such conjunctions (its disjunctive normal form), one store search each: {@code IsIn} over n values
 * is n conjunctions, {@code Or} the union of both sides, {@code And} every compatible pair of its sides'.
 * Merging the searches' top k is the top k of the union, so the result is exact.
 *
 * <p>Anything else ({@code Not}, {@code IsNotEqualTo}, ranges, {@code ContainsString}, a filter class of the
 * application's own) is refused by name, never ignored: a filter that was silently dropped would show a user
 * documents the filter was there to hide. The refusal is an {@link UnsupportedOperationException}, what
 * LangChain4j's own stores throw for a filter they cannot run and what its store suite expects.
 */
final class MetadataFilters {
    /** Most store searches one filter may expand to; an {@code And} of several {@code IsIn}s multiplies. */
    static final int MAX_CONJUNCTIONS = 64;

    private MetadataFilters() {
    }

    /**
     * The conjunctions whose union {@code filter} selects: one empty map for no filter (everything), none for a
     * filter that nothing can satisfy (such as {@code And} of two values for one key).
     *
     * @throws UnsupportedOperationException naming the filter when it is not an equality, {@code IsIn}, {@code And}
     *         or {@code Or} of those, or expands to more than {@link #MAX_CONJUNCTIONS} searches
     */
    static List<Map<String, String>> conjunctions(Filter filter, String store) {
        if (filter == null) {
            return List.of(Map.of());
        }
        return List.copyOf(expand(filter, filter, store));
    }

    private static Set<Map<String, String>> expand(Filter f, Filter whole, String store) {
        Set<Map<String, String>> out = new LinkedHashSet<>();
        switch (f) {
            case IsEqualTo e -> out.add(Map.of(e.key(), text(e.comparisonValue())));
            case IsIn in -> in.comparisonValues().forEach(v -> out.add(Map.of(in.key(), text(v))));
            case Or or -> {
                out.addAll(expand(or.left(), whole, store));
                out.addAll(expand(or.right(), whole, store));
            }
            case And and -> {
                Set<Map<String, String>> right = expand(and.right(), whole, store);
                for (Map<String, String> l : expand(and.left(), whole, store)) {
                    for (Map<String, String> r : right) {
                        Map<String, String> both = merge(l, r);
                        if (both != null) {
                            out.add(both);
                        }
                    }
                }
            }
            default -> throw new UnsupportedOperationException(store + ": the metadata filter " + describe(f)
                    + (f == whole ? "" : " (in " + describe(whole) + ")") + " cannot be expressed: nyla-sync stores "
                    + "match metadata by equality only, so a filter may combine IsEqualTo and IsIn with And and "
                    + "Or; apply " + f.getClass().getSimpleName() + " to the matches yourself, with a larger "
                    + "maxResults");
        }
        if (out.size() > MAX_CONJUNCTIONS) {
            throw new UnsupportedOperationException(store + ": the metadata filter " + describe(whole) + " expands to "
                    + out.size() + " store searches (one per combination of IsIn values), more than "
                    + MAX_CONJUNCTIONS + ": narrow the IsIn lists, or split the filter into several searches");
        }
        return out;
    }

    /** Both conjunctions at once, or null when they need two values for one key. */
    private static Map<String, String> merge(Map<String, String> a, Map<String, String> b) {
        Map<String, String> both = new HashMap<>(a);
        for (Map.Entry<String, String> e : b.entrySet()) {
            String earlier = both.putIfAbsent(e.getKey(), e.getValue());
            if (earlier != null && !earlier.equals(e.getValue())) {
                return null;
            }
        }
        return Map.copyOf(both);
    }

    /**
     * A comparison value as nyla metadata holds it: text. Numbers and UUIDs by their {@code toString}, so
     * {@code 2024} matches {@code "2024"}, but {@code 1.0} does not match {@code "1"}, as it would in
     * LangChain4j's typed comparison.
     */
    static String text(Object value) {
        return String.valueOf(value);
    }

    /** LangChain4j's filters print as {@code IsGreaterThan(key=year, comparisonValue=2020)}; others get their class. */
    private static String describe(Filter f) {
        String text = String.valueOf(f);
        return text.startsWith(f.getClass().getSimpleName()) ? text : f.getClass().getName() + " " + text;
    }
}
