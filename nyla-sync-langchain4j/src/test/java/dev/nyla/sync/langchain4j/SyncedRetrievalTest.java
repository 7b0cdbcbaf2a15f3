package dev.nyla.sync.langchain4j;

import static dev.langchain4j.store.embedding.filter.MetadataFilterBuilder.metadataKey;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.output.Response;
import dev.langchain4j.rag.content.Content;
import dev.langchain4j.rag.content.ContentMetadata;
import dev.langchain4j.rag.content.retriever.ContentRetriever;
import dev.langchain4j.rag.content.retriever.EmbeddingStoreContentRetriever;
import dev.langchain4j.rag.query.Query;
import dev.langchain4j.store.embedding.filter.Filter;
import dev.nyla.sync.DimensionMismatchException;
import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.Similarity;
import dev.nyla.sync.SourceRecord;
import dev.nyla.sync.artifact.DirectoryArtifactSource;
import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.artifact.ModelMismatchException;
import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.client.NylaSync;
import dev.nyla.sync.client.SyncResult;
import dev.nyla.sync.corpus.Corpus;
import dev.nyla.sync.demo.HashingEmbedder;
import dev.nyla.sync.embed.Embedder;
import dev.nyla.sync.publish.Publisher;
import dev.nyla.sync.store.VectorStore;
import dev.nyla.sync.store.VectorStores;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LangChain4j's retriever over a store that nyla-sync keeps: a small knowledge base is published and signed,
 * installed by {@link NylaSync} into a real store, and searched through {@link EmbeddingStoreContentRetriever}
 * with LangChain4j's own types.
 */
class SyncedRetrievalTest {
    private static final KeyPair KEYS = SigningKeys.generate();
    private static final HashingEmbedder EMBEDDER = new HashingEmbedder();
    private static final NylaEmbeddingModel MODEL = NylaEmbeddingModel.of(EMBEDDER);

    private static final String INSTALL = "Install the knowledge base: download the artifact and verify its signature";
    private static final String DELTA = "Updates download only the changed chunks of the knowledge base as a delta";
    private static final String ROLLBACK = "Roll back to the previous generation when an install fails";
    private static final String BANANAS = "Bananas are yellow fruit rich in potassium";
    private static final String ACME = "The acme plan includes priority support for installing the knowledge base";

    @TempDir
    Path dir;
    private VectorStore vectors;
    private NylaSync sync;

    @BeforeEach
    void publishAndSync() throws IOException {
        publish(INSTALL);
        vectors = VectorStores.open("memory:");
        sync = syncInto(vectors, "state");
        assertEquals(SyncResult.Outcome.INSTALLED, sync.checkNow().outcome());
    }

    @AfterEach
    void close() throws IOException {
        sync.close();
        vectors.close();
    }

    @Test
    void aContentRetrieverAnswersFromTheInstalledVersion() throws IOException {
        List<Content> found = retriever(store(), 2, 0.0, null).retrieve(Query.from("How do I install the knowledge base?"));

        assertEquals(2, found.size(), "maxResults 2 of the default tenant's 4 records");
        Content best = found.get(0);
        assertEquals(INSTALL, best.textSegment().text());
        assertEquals("install.md", best.textSegment().metadata().getString("source"));
        assertEquals("setup", best.textSegment().metadata().getString("section"));
        assertEquals("install.md#setup", best.metadata().get(ContentMetadata.EMBEDDING_ID));
    }

    @Test
    void scoresAreLangChain4jsRelevanceOfTheCosine() throws IOException {
        String query = "knowledge base install";
        List<Content> found = retriever(store(), 4, 0.0, null).retrieve(Query.from(query));

        assertEquals(4, found.size());
        float[] q = EMBEDDER.embed(query);
        for (Content c : found) {
            double cosine = Similarity.COSINE.score(q, EMBEDDER.embed(c.textSegment().text()));
            assertEquals((cosine + 1) / 2, (Double) c.metadata().get(ContentMetadata.SCORE), 1e-6, c.textSegment().text());
        }
        List<Double> scores = found.stream().map(c -> (Double) c.metadata().get(ContentMetadata.SCORE)).toList();
        assertEquals(scores.stream().sorted(Comparator.reverseOrder()).toList(), scores, "best first");
    }

    @Test
    void minScoreDropsWhatIsLessRelevant() throws IOException {
        String query = "How do I install the knowledge base?";
        List<Content> all = retriever(store(), 4, 0.0, null).retrieve(Query.from(query));
        double first = score(all.get(0));
        double second = score(all.get(1));
        assertTrue(first > second, all.toString());

        List<Content> found = retriever(store(), 4, (first + second) / 2, null).retrieve(Query.from(query));

        assertEquals(List.of(INSTALL), texts(found));
    }

    @Test
    void aMetadataFilterNarrowsTheResults() throws IOException {
        Query query = Query.from("How do I install the knowledge base?");

        assertEquals(List.of(ROLLBACK),
                texts(retriever(store(), 4, 0.0, metadataKey("section").isEqualTo("operations")).retrieve(query)));
        assertEquals(List.of(INSTALL, BANANAS),
                texts(retriever(store(), 4, 0.0, metadataKey("section").isIn("setup", "misc")).retrieve(query)));
        assertEquals(List.of(), texts(retriever(store(), 4, 0.0,
                metadataKey("section").isEqualTo("setup").and(metadataKey("source").isEqualTo("updates.md")))
                .retrieve(query)));
    }

    @Test
    void aFilterTheStoreCannotRunIsRefusedByName() throws IOException {
        Filter range = metadataKey("section").isGreaterThan("a");

        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> retriever(store(), 4, 0.0, range).retrieve(Query.from("install")));

        assertTrue(e.getMessage().contains("IsGreaterThan(key=section, comparisonValue=a)"), e.getMessage());
    }

    @Test
    void eachTenantSeesItsOwnRecords() throws IOException {
        NylaEmbeddingStore store = store();
        Query query = Query.from("priority support plan");

        assertEquals(List.of(ACME), texts(retriever(store.forTenant("acme"), 4, 0.0, null).retrieve(query)));
        assertTrue(!texts(retriever(store, 10, 0.0, null).retrieve(query)).contains(ACME));
        assertEquals("acme", store.forTenant("acme").tenant());
        assertEquals("default", store.tenant());
    }

    @Test
    void theNextInstalledVersionIsSearchedWithoutRebuildingAnything() throws IOException {
        ContentRetriever retriever = retriever(store(), 1, 0.0, null);
        String edited = "Install the knowledge base with one command: nyla-sync sync";
        publish(edited);

        assertEquals(SyncResult.Outcome.INSTALLED, sync.checkNow().outcome());

        assertEquals(List.of(edited), texts(retriever.retrieve(Query.from("How do I install the knowledge base?"))));
    }

    @Test
    void writesToAStoreKeptByInstallsAreRefused() throws IOException {
        NylaEmbeddingStore store = store();
        Embedding vector = MODEL.embed("a note").content();

        UnsupportedFeatureException add = assertThrows(UnsupportedFeatureException.class,
                () -> store.add(vector, TextSegment.from("a note")));
        assertTrue(add.getMessage().contains("kept by nyla-sync's installs"), add.getMessage());
        assertTrue(add.getMessage().contains("allowWrites(true)"), add.getMessage());
        assertThrows(UnsupportedFeatureException.class, () -> store.addAll(List.of(vector)));
        assertThrows(UnsupportedFeatureException.class, () -> store.remove("install.md#setup"));
        assertThrows(UnsupportedFeatureException.class, store::removeAll);

        assertEquals(4, retriever(store, 10, 0.0, null).retrieve(Query.from("knowledge base")).size(),
                "nothing was added or removed");
    }

    @Test
    void aStoreOpenedReadOnlyIsSearchedAndRefusesWritesEvenWhenAllowed() throws IOException {
        String location = "file:" + dir.resolve("file-store");
        try (VectorStore writer = VectorStores.open(location); NylaSync fileSync = syncInto(writer, "file-state")) {
            assertEquals(SyncResult.Outcome.INSTALLED, fileSync.checkNow().outcome());
        }
        try (VectorStore reader = VectorStores.openReadOnly(location)) {
            NylaEmbeddingStore store = NylaEmbeddingStore.builder(reader).embeddingModel(MODEL).allowWrites(true).build();

            assertEquals(List.of(INSTALL), texts(retriever(store, 1, 0.0, null)
                    .retrieve(Query.from("How do I install the knowledge base?"))));
            UnsupportedFeatureException e = assertThrows(UnsupportedFeatureException.class,
                    () -> store.add(MODEL.embed("a note").content(), TextSegment.from("a note")));
            assertTrue(e.getMessage().contains("read-only"), e.getMessage());
        }
    }

    @Test
    void theModelGuardRefusesAQueryModelOfAnotherFingerprint() {
        NylaEmbeddingModel other = NylaEmbeddingModel.of(new Renamed(EMBEDDER, "other-model/384"));

        ModelMismatchException e = assertThrows(ModelMismatchException.class,
                () -> NylaEmbeddingStore.builder(vectors).embeddingModel(other).build());

        assertTrue(e.getMessage().contains("other-model/384"), e.getMessage());
        assertTrue(e.expected().contains("other-model/384") && e.actual().contains(EMBEDDER.model().fingerprint()),
                e.getMessage());
    }

    @Test
    void theModelGuardChecksTheFirstSearchOfAStoreBuiltBeforeItsFirstSync() throws IOException {
        try (VectorStore empty = VectorStores.open("memory:")) {
            NylaEmbeddingStore store = NylaEmbeddingStore.builder(empty)
                    .embeddingModel(NylaEmbeddingModel.of(new Renamed(EMBEDDER, "other-model/384"))).build();
            ContentRetriever retriever = retriever(store, 1, 0.0, null);
            assertEquals(List.of(), retriever.retrieve(Query.from("install")), "nothing installed yet");
            try (NylaSync first = syncInto(empty, "empty-state")) {
                assertEquals(SyncResult.Outcome.INSTALLED, first.checkNow().outcome());
            }

            UncheckedIOException e = assertThrows(UncheckedIOException.class,
                    () -> retriever.retrieve(Query.from("install")));

            assertInstanceOf(ModelMismatchException.class, e.getCause());
        }
    }

    @Test
    void aLangChain4jModelWithoutNylaIdentityIsCheckedByDimension() {
        dev.langchain4j.model.embedding.EmbeddingModel small = new dev.langchain4j.model.embedding.EmbeddingModel() {
            @Override
            public Response<List<Embedding>> embedAll(List<TextSegment> segments) {
                return Response.from(segments.stream().map(s -> Embedding.from(new float[32])).toList());
            }
        };

        DimensionMismatchException e = assertThrows(DimensionMismatchException.class,
                () -> NylaEmbeddingStore.builder(vectors).embeddingModel(small).build());

        assertEquals("384", e.expected());
        assertEquals("32", e.actual());
    }

    private NylaEmbeddingStore store() throws IOException {
        return NylaEmbeddingStore.builder(vectors).embeddingModel(MODEL).build();
    }

    private static ContentRetriever retriever(NylaEmbeddingStore store, int maxResults, double minScore, Filter filter) {
        return EmbeddingStoreContentRetriever.builder().embeddingStore(store).embeddingModel(MODEL)
                .maxResults(maxResults).minScore(minScore).filter(filter).build();
    }

    private NylaSync syncInto(VectorStore store, String state) throws IOException {
        return NylaSync.builder().source(new DirectoryArtifactSource(dir.resolve("site"))).store(store)
                .publicKey(KEYS.getPublic()).queryEmbedder(EMBEDDER).stateDirectory(dir.resolve(state)).build();
    }

    /** Publishes the next version of the knowledge base into the site, with {@code install} as the install chunk. */
    private void publish(String install) throws IOException {
        List<SourceRecord> records = List.of(
                new SourceRecord("default", "install.md#setup", install, Map.of("source", "install.md", "section", "setup")),
                new SourceRecord("default", "updates.md#delta", DELTA, Map.of("source", "updates.md", "section", "updates")),
                new SourceRecord("default", "operations.md#rollback", ROLLBACK,
                        Map.of("source", "operations.md", "section", "operations")),
                new SourceRecord("default", "misc.md#bananas", BANANAS, Map.of("source", "misc.md", "section", "misc")),
                new SourceRecord("acme", "acme.md#plan", ACME, Map.of("source", "acme.md", "section", "setup")));
        Path site = dir.resolve("site");
        Publisher publisher = Publisher.builder().signingKey(KEYS).embedder(EMBEDDER).build();
        if (Files.exists(site.resolve(Manifest.FILE_NAME))) {
            publisher.publish(Corpus.of(records), site, site);
        } else {
            publisher.publish(Corpus.of(records), site);
        }
    }

    private static double score(Content c) {
        return (Double) c.metadata().get(ContentMetadata.SCORE);
    }

    private static List<String> texts(List<Content> found) {
        List<String> out = new ArrayList<>();
        found.forEach(c -> out.add(c.textSegment().text()));
        return out;
    }

    /** The hashing embedder under another identity: the same vectors, claimed to be another model's. */
    private record Renamed(HashingEmbedder delegate, String fingerprint) implements Embedder {
        @Override
        public EmbeddingModel model() {
            EmbeddingModel m = delegate.model();
            return new EmbeddingModel("other-model", m.dimension(), m.similarity(), m.normalized(), fingerprint);
        }

        @Override
        public List<float[]> embed(List<String> texts) {
            return delegate.embed(texts);
        }
    }
}
