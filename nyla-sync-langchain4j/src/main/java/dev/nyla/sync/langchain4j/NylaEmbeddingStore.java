package dev.nyla.sync.langchain4j;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.store.embedding.EmbeddingMatch;
import dev.langchain4j.store.embedding.EmbeddingSearchRequest;
import dev.langchain4j.store.embedding.EmbeddingSearchResult;
import dev.langchain4j.store.embedding.EmbeddingStore;
import dev.langchain4j.store.embedding.filter.Filter;
import dev.nyla.sync.RecordKeys;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.artifact.ModelMismatchException;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.SearchHit;
import dev.nyla.sync.store.SearchRequest;
import dev.nyla.sync.store.VectorStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A LangChain4j {@link EmbeddingStore} over a nyla {@link VectorStore}, so that LangChain4j's retrievers search
 * a store that nyla-sync keeps current: {@code EmbeddingStoreContentRetriever} over this store answers from the
 * version the sync client installed last, and from the next one as soon as it is activated.
 *
 * <pre>{@code
 * VectorStore vectors = VectorStores.open("lucene:/var/lib/app/kb");   // kept by NylaSync
 * EmbeddingModel model = NylaEmbeddingModel.of(embedder);               // the model the artifact was published with
 * EmbeddingStore<TextSegment> store = NylaEmbeddingStore.builder(vectors).embeddingModel(model).build();
 * ContentRetriever retriever = EmbeddingStoreContentRetriever.builder()
 *         .embeddingStore(store).embeddingModel(model).maxResults(5).minScore(0.6).build();
 * }</pre>
 *
 * <h2>Searching</h2>
 * One search of the store's active generation in one tenant (the builder's, {@value VectorRecord#DEFAULT_TENANT}
 * by default; {@link #forTenant} gives a view of another). Scores become LangChain4j's relevance in [0, 1]: for
 * cosine (and dot product of unit vectors) {@code (cos + 1) / 2}, as LangChain4j's own stores report it; for
 * euclidean the store's {@code 1 / (1 + d²)}. {@code minScore} applies to that relevance. A metadata
 * {@link Filter} of {@code IsEqualTo} and {@code IsIn} combined with {@code And} and {@code Or} runs as one
 * store search per combination of values (at most 64), merged exactly; any other filter is refused with an
 * {@link UnsupportedOperationException} naming it (as LangChain4j's own stores refuse a filter), never
 * ignored. Values compare as text, as nyla metadata is text ({@code 2024} matches {@code "2024"}, {@code 1.0}
 * does not match {@code "1"}). Each match carries the record's id, relevance and
 * {@link TextSegment} (text and metadata, all values strings) but no {@link Embedding}: the store returns
 * none with its hits, so {@link EmbeddingMatch#embedding()} is null. With no generation active yet (before
 * the first sync) a search finds nothing.
 *
 * <h2>The model guard</h2>
 * Given the query model ({@link Builder#embeddingModel}), {@link Builder#build()} and every search check it
 * against the model of the active generation: a {@link NylaEmbeddingModel} by its nyla identity (a
 * {@link ModelMismatchException} on another fingerprint, dimension or similarity), any other model by its
 * dimension.
 *
 * <h2>Writes</h2>
 * Refused with an {@link UnsupportedFeatureException} unless {@link Builder#allowWrites(boolean)}: the store is
 * kept by nyla-sync's installs, and a record written here would vanish at the next full install. Allowed, they
 * go to the store's mutable mode ({@link VectorStore#upsert}, {@link VectorStore#delete}) in the view's tenant;
 * a store opened read-only refuses them all the same. {@code removeAll(Filter)} is not supported.
 *
 * <p>Failures of the store surface as {@link UncheckedIOException}s whose cause is nyla's typed exception
 * (LangChain4j's methods declare none). Thread-safe, as the store is. Closing the store is the caller's.
 */
public final class NylaEmbeddingStore implements EmbeddingStore<TextSegment> {
    private static final Comparator<SearchHit> BEST_FIRST = Comparator.comparingDouble((SearchHit h) -> -h.score())
            .thenComparing(SearchHit::id, RecordKeys.ORDER);

    private final VectorStore store;
    private final String tenant;
    private final ModelGuard guard;
    private final boolean writesAllowed;
    private final StoreWrites writes;

    private NylaEmbeddingStore(VectorStore store, String tenant, ModelGuard guard, boolean writesAllowed) {
        this.store = store;
        this.tenant = tenant;
        this.guard = guard;
        this.writesAllowed = writesAllowed;
        this.writes = new StoreWrites(store, tenant, writesAllowed);
    }

    /** Starts configuring an embedding store over {@code store}. */
    public static Builder builder(VectorStore store) {
        return new Builder(store);
    }

    /** The same store, model guard and write policy for {@code tenant}: cheap, for a view per user or per request. */
    public NylaEmbeddingStore forTenant(String tenant) {
        return new NylaEmbeddingStore(store, requireTenant(tenant), guard, writesAllowed);
    }

    /** The tenant this view searches and writes. */
    public String tenant() {
        return tenant;
    }

    /**
     * The top {@code maxResults} records of the tenant by relevance to the query embedding, at least
     * {@code minScore} relevant, that match the filter; best first, ties by id.
     *
     * @throws UnsupportedOperationException when the filter cannot be expressed as equalities (naming it)
     * @throws IllegalArgumentException    when {@code maxResults} is above {@value SearchRequest#MAX_K}
     * @throws UncheckedIOException        wrapping the store's failure, a {@link ModelMismatchException} from the
     *                                     model guard, or a {@code DimensionMismatchException} for a query
     *                                     embedding of another length than the store's model
     */
    @Override
    public EmbeddingSearchResult<TextSegment> search(EmbeddingSearchRequest request) {
        if (request.maxResults() > SearchRequest.MAX_K) {
            throw new IllegalArgumentException(store.location() + ": maxResults: expected 1.." + SearchRequest.MAX_K
                    + " (the most one store search returns) but was " + request.maxResults());
        }
        // Before the store is asked: a filter it cannot run is refused even on an empty store.
        List<Map<String, String>> conjunctions = MetadataFilters.conjunctions(request.filter(), store.location());
        try {
            Optional<Generation> active = store.activeGeneration();
            if (active.isEmpty() || conjunctions.isEmpty()) {
                return new EmbeddingSearchResult<>(List.of());
            }
            guard.check(store.location(), active.get());
            float[] query = request.queryEmbedding().vector();
            Map<String, SearchHit> hits = new LinkedHashMap<>();
            for (Map<String, String> conjunction : conjunctions) {
                for (SearchHit hit : store.search(new SearchRequest(tenant, query, request.maxResults(), conjunction))) {
                    hits.putIfAbsent(hit.id(), hit);
                }
            }
            List<SearchHit> best = new ArrayList<>(hits.values());
            best.sort(BEST_FIRST);
            List<EmbeddingMatch<TextSegment>> matches = new ArrayList<>(Math.min(best.size(), request.maxResults()));
            for (SearchHit hit : best) {
                double relevance = Relevance.of(active.get().model().similarity(), hit.score());
                if (matches.size() == request.maxResults() || relevance < request.minScore()) {
                    break;
                }
                matches.add(new EmbeddingMatch<>(relevance, hit.id(), null, Segments.of(hit)));
            }
            return new EmbeddingSearchResult<>(matches);
        } catch (IOException e) {
            throw new UncheckedIOException(store.location() + " (tenant " + tenant + "): search failed: "
                    + e.getMessage(), e);
        }
    }

    /** Adds an embedding without text under a new random id; see the class comment on writes. */
    @Override
    public String add(Embedding embedding) {
        return addAll(List.of(embedding)).get(0);
    }

    /** Adds or replaces an embedding without text under {@code id}; see the class comment on writes. */
    @Override
    public void add(String id, Embedding embedding) {
        writes.upsert("add", List.of(id), List.of(embedding), null);
    }

    /** Adds an embedding with its segment under a new random id; see the class comment on writes. */
    @Override
    public String add(Embedding embedding, TextSegment segment) {
        writes.requireAllowed("add");
        String id = generateIds(1).get(0);
        writes.upsert("add", List.of(id), List.of(embedding), List.of(segment));
        return id;
    }

    /** Adds embeddings without text under new random ids; see the class comment on writes. */
    @Override
    public List<String> addAll(List<Embedding> embeddings) {
        writes.requireAllowed("addAll");
        List<String> ids = generateIds(embeddings.size());
        writes.upsert("addAll", ids, embeddings, null);
        return ids;
    }

    /** Adds or replaces embeddings with their segments under {@code ids}; see the class comment on writes. */
    @Override
    public void addAll(List<String> ids, List<Embedding> embeddings, List<TextSegment> segments) {
        writes.upsert("addAll", ids, embeddings, segments);
    }

    /** Removes the records of {@code ids} from the tenant; see the class comment on writes. */
    @Override
    public void removeAll(Collection<String> ids) {
        writes.requireAllowed("removeAll");
        // LangChain4j's wording for this refusal, which its store suite checks.
        if (ids == null || ids.isEmpty()) {
            throw new IllegalArgumentException("ids cannot be null or empty");
        }
        for (String id : ids) {
            if (id == null || id.isBlank()) {
                throw new IllegalArgumentException("ids: expected non-blank ids but found '" + id + "'");
            }
        }
        writes.delete("removeAll", ids);
    }

    /**
     * Not supported: the store's inventory lists ids and hashes, not metadata, so the records a filter selects
     * cannot be listed. Search with the filter and remove the ids found instead.
     */
    @Override
    public void removeAll(Filter filter) {
        writes.requireAllowed("removeAll(Filter)");
        Objects.requireNonNull(filter, "filter");
        throw new UnsupportedFeatureException(store.location() + ": removeAll(Filter) is not supported: the "
                + "store lists ids, not metadata; search with the filter and pass the ids found to removeAll(ids)");
    }

    /** Removes every record of the tenant; see the class comment on writes. */
    @Override
    public void removeAll() {
        writes.deleteAll("removeAll");
    }

    @Override
    public String toString() {
        return "NylaEmbeddingStore[" + store.location() + ", tenant " + tenant
                + guard.identity().map(m -> ", model " + m.id()).orElse("")
                + (writesAllowed ? ", writes allowed" : "") + "]";
    }

    private static String requireTenant(String tenant) {
        Objects.requireNonNull(tenant, "tenant");
        if (tenant.isEmpty()) {
            throw new IllegalArgumentException("tenant: expected a non-empty name (" + VectorRecord.DEFAULT_TENANT
                    + " when the application has none) but was ''");
        }
        return tenant;
    }

    /**
     * Configures a {@link NylaEmbeddingStore}. Each option is set once: a second call throws an
     * {@link IllegalStateException} naming the option and the value it keeps.
     */
    public static final class Builder {
        private final VectorStore store;
        private final Map<String, Object> given = new LinkedHashMap<>();
        private String tenant = VectorRecord.DEFAULT_TENANT;
        private dev.langchain4j.model.embedding.EmbeddingModel embeddingModel;
        private boolean allowWrites;

        private Builder(VectorStore store) {
            this.store = Objects.requireNonNull(store, "store");
        }

        /**
         * The tenant searched and written (default {@value VectorRecord#DEFAULT_TENANT}, the tenant of records
         * published without one). For one view per user, build once and call {@link #forTenant}.
         */
        public Builder tenant(String tenant) {
            this.tenant = once("tenant", requireTenant(tenant));
            return this;
        }

        /**
         * The model the application embeds its queries with, the same one it gives the retriever: checked
         * against the store's model at {@link #build()} and at every search. A {@link NylaEmbeddingModel} is
         * checked by its nyla identity (fingerprint, dimension, similarity); any other model by dimension only,
         * which it is asked once (LangChain4j's default {@code dimension()} embeds a probe text). Without it,
         * nothing is checked but the query's length.
         */
        public Builder embeddingModel(dev.langchain4j.model.embedding.EmbeddingModel model) {
            this.embeddingModel = once("embeddingModel", Objects.requireNonNull(model, "embeddingModel"));
            return this;
        }

        /**
         * Whether {@code add}, {@code addAll} and {@code remove} write to the store's active generation (default
         * false: they throw {@link UnsupportedFeatureException}). Only for a store that nyla-sync does not keep,
         * or for records the application accepts losing at the next full install.
         */
        public Builder allowWrites(boolean allow) {
            this.allowWrites = once("allowWrites", allow);
            return this;
        }

        /**
         * The embedding store, after checking the query model against the store's active generation if there
         * is one (a store not synced yet is checked at its first search instead).
         *
         * @throws ModelMismatchException when the query model's nyla identity is not the store's model
         * @throws dev.nyla.sync.DimensionMismatchException when a query model without nyla identity has another
         *         dimension than the store's model
         * @throws IOException when the store cannot say which generation is active
         */
        public NylaEmbeddingStore build() throws IOException {
            ModelGuard guard = embeddingModel == null ? ModelGuard.NONE : ModelGuard.of(embeddingModel);
            Optional<Generation> active = store.activeGeneration();
            if (active.isPresent()) {
                guard.check(store.location(), active.get());
            }
            return new NylaEmbeddingStore(store, tenant, guard, allowWrites);
        }

        private <T> T once(String option, T value) {
            Object earlier = given.putIfAbsent(option, value);
            if (earlier != null) {
                throw new IllegalStateException("NylaEmbeddingStore.Builder: " + option + " was already set to "
                        + earlier + "; a second value (" + value + ") would silently replace it: set " + option
                        + " once, to the value you want");
            }
            return value;
        }
    }
}
