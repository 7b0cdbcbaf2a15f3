package dev.nyla.sync.reconcile;

import dev.nyla.sync.RecordKeys;
import dev.nyla.sync.SourceRecord;
import dev.nyla.sync.corpus.Corpus;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The publisher's corpus as a source of truth: a JSONL file or a directory of documents, read once into
 * memory (a corpus is what a publisher embeds, so it fits). Use it to check a store installed from an
 * artifact against the files it was published from, or to reconcile a store built from local documents.
 */
public final class CorpusSource implements SourceOfTruth {
    private final String description;
    private final Map<String, List<SourceRecord>> byTenant = new TreeMap<>(RecordKeys.ORDER);

    private CorpusSource(String description, Corpus corpus) {
        this.description = description;
        for (SourceRecord r : corpus.records()) {
            // A corpus is sorted by (tenant, id), so each tenant's list comes out sorted by id.
            byTenant.computeIfAbsent(r.tenant(), t -> new ArrayList<>()).add(r);
        }
    }

    /** A source over {@code corpus}, described as {@code description} in messages. */
    public static CorpusSource of(String description, Corpus corpus) {
        return new CorpusSource(Objects.requireNonNull(description, "description"), Objects.requireNonNull(corpus, "corpus"));
    }

    /**
     * Reads the corpus at {@code path}, as {@link Corpus#read(Path)} does: a JSONL file or a directory of
     * documents (Markdown, text, reStructuredText, HTML, AsciiDoc) chunked by heading.
     *
     * @throws dev.nyla.sync.corpus.CorpusException naming the file and line of bad input
     */
    public static CorpusSource read(Path path) throws IOException {
        return new CorpusSource("corpus " + path, Corpus.read(path));
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public Stream<String> tenants() {
        return byTenant.keySet().stream();
    }

    @Override
    public Stream<SourceRecord> records(String tenant) {
        return byTenant.getOrDefault(tenant, List.of()).stream();
    }

    @Override
    public Set<String> existing(String tenant, Collection<String> ids) {
        List<SourceRecord> records = byTenant.getOrDefault(tenant, List.of());
        Set<String> found = new HashSet<>();
        for (String id : ids) {
            if (indexOf(records, id) >= 0) {
                found.add(id);
            }
        }
        return found;
    }

    private static int indexOf(List<SourceRecord> sorted, String id) {
        int lo = 0;
        int hi = sorted.size() - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = RecordKeys.compare(sorted.get(mid).id(), id);
            if (c < 0) {
                lo = mid + 1;
            } else if (c > 0) {
                hi = mid - 1;
            } else {
                return mid;
            }
        }
        return -1;
    }
}
