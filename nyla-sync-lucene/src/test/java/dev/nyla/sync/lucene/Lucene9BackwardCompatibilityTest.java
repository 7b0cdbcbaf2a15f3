package dev.nyla.sync.lucene;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.RecordKeys;
import dev.nyla.sync.Similarity;
import dev.nyla.sync.TestData;
import dev.nyla.sync.UnsupportedFormatException;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.nativepayload.NativeInstall;
import dev.nyla.sync.nativepayload.NativeInstaller;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.GenerationSpec;
import dev.nyla.sync.store.InventoryEntry;
import dev.nyla.sync.store.Payload;
import dev.nyla.sync.store.PayloadFile;
import dev.nyla.sync.store.SearchHit;
import dev.nyla.sync.store.SearchRequest;
import dev.nyla.sync.store.WriteResult;
import java.io.File;
import java.io.IOException;
import java.io.StringWriter;
import java.io.Writer;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.apache.lucene.index.SegmentCommitInfo;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 4: an index written by Lucene 9.x in nyla's layout installs and searches with this client
 * (Lucene 10 with backward codecs). Publishers, and programs that write nyla's layout themselves, do not
 * all move to Lucene 10 at once; their indexes must keep installing, searching and taking mutations.
 *
 * <p>Lucene 9 and 10 cannot share a class path, so the index is written once for the class by
 * {@code src/test/lucene9/Lucene9IndexWriterMain.java}, compiled here against the Lucene 9.12 jar alone
 * (Maven copies it to {@code target/lucene9/} in the generate-test-resources phase) and run in a child JVM.
 */
class Lucene9BackwardCompatibilityTest {
    /** What {@code lucene9.version} in the parent pom names; the payload must report the writer's own version. */
    private static final String LUCENE9_VERSION = "9.12.3";
    private static final int DIM = 16;
    private static final EmbeddingModel MODEL = TestData.model(DIM, Similarity.COSINE);
    private static final Map<String, Integer> TENANTS = Map.of("acme", 350, "globex", 150);
    private static final int QUERIES = 20;
    private static final int K = 10;
    private static final long CHILD_TIMEOUT_MINUTES = 2;

    @TempDir
    static Path shared;
    /** The records of the Lucene 9 index, in key order. */
    private static List<VectorRecord> records;
    /** The Lucene 9 index as a payload, its files under {@link #host} as a static host would serve them. */
    private static Payload payload;
    private static Path host;

    @TempDir
    Path dir;

    @BeforeAll
    static void writeALucene9IndexAndPackageIt() throws Exception {
        records = records();
        Path index = Files.createDirectories(shared.resolve("lucene9-index"));
        runLucene9Writer(records, index);
        host = shared.resolve("host");
        payload = LucenePayloadFormat.packageIndex(index, host, LuceneOptions.DEFAULTS);
    }

    // ------------------------------------------------------------------------------------------ tests

    @Test
    void payloadOfALucene9IndexNamesLucene9ItsCodecAndItsVectorFormat() {
        Map<String, String> a = payload.attributes();
        assertEquals(LUCENE9_VERSION, a.get(LucenePayloadFormat.ATTR_LUCENE_VERSION), "attributes " + a);
        assertEquals(LUCENE9_VERSION, a.get(LucenePayloadFormat.ATTR_MIN_SEGMENT_VERSION), "attributes " + a);
        assertEquals("9", a.get(LucenePayloadFormat.ATTR_CREATED_MAJOR), "attributes " + a);
        assertEquals("Lucene912", a.get(LucenePayloadFormat.ATTR_CODECS), "attributes " + a);
        assertEquals("Lucene99HnswVectorsFormat", a.get(LucenePayloadFormat.ATTR_VECTOR_FORMATS), "attributes " + a);
        assertEquals("1", a.get(LucenePayloadFormat.ATTR_SEGMENTS), "attributes " + a);
        assertEquals(Schema.VERSION, a.get(LucenePayloadFormat.ATTR_SCHEMA), "attributes " + a);
        assertTrue(payload.files().stream().anyMatch(f -> f.name().endsWith("-segments_1")), "files " + payload.files());
    }

    @Test
    void lucene9IndexInstallsAndItsSearchesGiveTheExactTopTen() throws IOException {
        // With the default options tenants this small are scanned exactly: this reads Lucene 9's vectors.
        try (LuceneVectorStore store = LuceneVectorStore.open(dir.resolve("store"))) {
            Generation g = install(store);

            assertEquals(records.size(), g.recordCount());
            assertEquals(records.size(), store.stats().records());
            assertEquals(LUCENE9_VERSION + " Lucene912", store.luceneFormat(g.id()).orElseThrow());
            assertSearchesAreExact(store, new Random(7));
        }
    }

    @Test
    void searchesWalkingTheHnswGraphWrittenByLucene9GiveTheExactTopTen() throws IOException {
        // No exact scan by the store however small the tenant: candidates come from a walk of the Lucene 9
        // graph. (Where the walk visits more documents than the tenant filter matches, Lucene itself finishes
        // with an exact scan of the filtered documents, as it does on any index.)
        try (LuceneVectorStore store = LuceneVectorStore.open(dir.resolve("store"),
                LuceneOptions.DEFAULTS.withExactSearchThreshold(0))) {
            install(store);
            assertSearchesAreExact(store, new Random(8));
        }
    }

    @Test
    void searchOfALucene9GenerationStaysWithinTheTenantAndAppliesTheMetadataFilter() throws IOException {
        try (LuceneVectorStore store = LuceneVectorStore.open(dir.resolve("store"))) {
            install(store);
            float[] query = TestData.unitVector(new Random(9), DIM);

            List<SearchHit> globex = store.search(SearchRequest.of("globex", query, 1_000));
            assertEquals(TENANTS.get("globex"), globex.size());
            assertTrue(globex.stream().allMatch(h -> h.tenant().equals("globex")), "hits " + globex);

            Map<String, String> german = Map.of("lang", "de");
            List<SearchHit> hits = store.search(SearchRequest.of("acme", query, K).withFilter(german));
            assertEquals(exactTopK(of("acme"), query, K, german), ids(hits));
            hits.forEach(h -> assertEquals(german, h.metadata(), "metadata of " + h.id()));

            assertEquals(List.of(), store.search(SearchRequest.of("initech", query, K)));
        }
    }

    @Test
    void inventoryOfALucene9GenerationListsEveryIdWithItsHashInKeyOrder() throws IOException {
        try (LuceneVectorStore store = LuceneVectorStore.open(dir.resolve("store"))) {
            install(store);
            try (Stream<String> tenants = store.tenants()) {
                assertEquals(new TreeSet<>(TENANTS.keySet()).stream().toList(), tenants.toList());
            }
            for (String tenant : TENANTS.keySet()) {
                List<InventoryEntry> expected = of(tenant).stream()
                        .map(r -> new InventoryEntry(r.id(), r.contentHash(), MODEL.fingerprint())).toList();
                try (Stream<InventoryEntry> inventory = store.inventory(tenant)) {
                    assertEquals(expected, inventory.toList(), "inventory of " + tenant);
                }
            }
        }
    }

    @Test
    void mutationsOfALucene9GenerationAddALucene10SegmentAndSurviveARestart() throws IOException {
        Path root = dir.resolve("store");
        VectorRecord old = of("acme").get(17);
        VectorRecord changed = VectorRecord.of("acme", old.id(), "changed text of " + old.id(), Map.of("lang", "fr"),
                MODEL, TestData.unitVector(new Random(10), DIM));
        VectorRecord added = VectorRecord.of("globex", "doc-99999", "a record added after install", Map.of(), MODEL,
                TestData.unitVector(new Random(11), DIM));
        VectorRecord deleted = of("globex").get(3);
        long generation;
        try (LuceneVectorStore store = LuceneVectorStore.open(root)) {
            generation = install(store).id();

            assertEquals(WriteResult.upserted(1, 1), store.upsert(List.of(changed, added)));

            assertMutationsAreVisible(store, changed, added, List.of());
            // The Lucene 9 segment stays (with a deletions file for the replaced record); the changes are a
            // Lucene 10 segment beside it, and the index still counts as created by Lucene 9.
            try (Directory index = FSDirectory.open(store.indexDirectory(generation))) {
                SegmentInfos infos = SegmentInfos.readLatestCommit(index);
                assertEquals(9, infos.getIndexCreatedVersionMajor());
                assertEquals(new TreeSet<>(List.of("Lucene104", "Lucene912")), codecs(infos));
                assertEquals(Schema.VERSION, infos.getUserData().get(Schema.COMMIT_SCHEMA),
                        "commit user data " + infos.getUserData());
            }
        }
        // Reopened, the store serves the mixed index and mutates it further.
        try (LuceneVectorStore reopened = LuceneVectorStore.open(root)) {
            assertEquals(generation, reopened.activeGeneration().orElseThrow().id());
            assertMutationsAreVisible(reopened, changed, added, List.of());

            assertEquals(WriteResult.deleted(1, 0), reopened.delete("globex", List.of(deleted.id())));

            assertMutationsAreVisible(reopened, changed, added, List.of(deleted));
        }
    }

    @Test
    void payloadClaimingALucene8IndexIsRefusedNamingTheAttributeAndBothValues() throws IOException {
        Map<String, String> attributes = new HashMap<>(payload.attributes());
        attributes.put(LucenePayloadFormat.ATTR_CREATED_MAJOR, "8");
        Payload lucene8 = new Payload(payload.kind(), attributes, payload.files());
        try (LuceneVectorStore store = LuceneVectorStore.open(dir.resolve("store"))) {
            NativeInstaller installer = store.nativeInstaller();

            UnsupportedFormatException e = assertThrows(UnsupportedFormatException.class,
                    () -> installer.checkReadable(lucene8, "https://cdn.example.com/kb/manifest.json"));
            assertTrue(e.getMessage().contains(LucenePayloadFormat.ATTR_CREATED_MAJOR), e.getMessage());
            assertTrue(e.getMessage().contains("https://cdn.example.com/kb/manifest.json"), e.getMessage());
            assertTrue(e.expected().startsWith("9..10 "), e.getMessage());
            assertEquals("8", e.actual(), e.getMessage());
            assertThrows(UnsupportedFormatException.class,
                    () -> installer.begin(GenerationSpec.of(1, "lucene 8", MODEL), lucene8, true));
            assertEquals(List.of(), store.generations(), "a refused payload leaves no generation");
        }
    }

    @Test
    void payloadNeedingACodecThisClientLacksIsRefusedNamingTheCodec() throws IOException {
        // A publisher's own codec, not on this client's class path. (Not an old Lucene codec such as Lucene87:
        // backward-codecs 10.x still ships those, for best-effort reads of older indexes.)
        Map<String, String> attributes = new HashMap<>(payload.attributes());
        attributes.put(LucenePayloadFormat.ATTR_CODECS, "Lucene912,AcmeLucene912");
        Payload custom = new Payload(payload.kind(), attributes, payload.files());
        try (LuceneVectorStore store = LuceneVectorStore.open(dir.resolve("store"))) {
            UnsupportedFormatException e = assertThrows(UnsupportedFormatException.class,
                    () -> store.nativeInstaller().checkReadable(custom, "manifest.json"));
            assertTrue(e.getMessage().contains("codec"), e.getMessage());
            assertEquals("AcmeLucene912", e.actual(), e.getMessage());
            assertTrue(e.expected().contains("Lucene912") && e.expected().contains("Lucene104"), e.getMessage());
        }
    }

    // ------------------------------------------------------------------------------------------ checks

    /** {@value #QUERIES} random queries, alternating tenants, each equal to the exact top {@value #K}. */
    private static void assertSearchesAreExact(LuceneVectorStore store, Random random) throws IOException {
        List<String> tenants = new TreeSet<>(TENANTS.keySet()).stream().toList();
        for (int q = 0; q < QUERIES; q++) {
            String tenant = tenants.get(q % tenants.size());
            float[] query = TestData.unitVector(random, DIM);
            List<SearchHit> hits = store.search(SearchRequest.of(tenant, query, K));
            assertEquals(exactTopK(of(tenant), query, K, Map.of()), ids(hits), "query " + q + " in " + tenant);
            for (SearchHit h : hits) {
                VectorRecord r = record(tenant, h.id());
                assertEquals(tenant, h.tenant());
                assertEquals(MODEL.similarity().score(query, r.vector()), h.score(), 1e-5, "score of " + h.id());
                assertEquals(r.text(), h.text());
                assertEquals(r.metadata(), h.metadata(), "metadata of " + h.id());
            }
        }
    }

    private static void assertMutationsAreVisible(LuceneVectorStore store, VectorRecord changed, VectorRecord added,
                                                  List<VectorRecord> deleted) throws IOException {
        assertEquals(records.size() + 1 - deleted.size(), store.stats().records());
        SearchHit top = store.search(SearchRequest.of("acme", changed.vector(), 1)).get(0);
        assertEquals(changed.id(), top.id());
        assertEquals(changed.text(), top.text());
        assertEquals(changed.metadata(), top.metadata());
        assertEquals(1, store.search(SearchRequest.of("acme", changed.vector(), K).withFilter(Map.of("lang", "fr")))
                .size(), "the changed record's new metadata is indexed");
        SearchHit newest = store.search(SearchRequest.of("globex", added.vector(), 1)).get(0);
        assertEquals(added.id(), newest.id());
        assertEquals(added.text(), newest.text());

        List<InventoryEntry> acme;
        try (Stream<InventoryEntry> s = store.inventory("acme")) {
            acme = s.toList();
        }
        assertEquals(TENANTS.get("acme"), acme.size());
        assertEquals(changed.contentHash(), acme.stream().filter(e -> e.id().equals(changed.id())).findFirst()
                .orElseThrow().contentHash());
        List<String> globex;
        try (Stream<InventoryEntry> s = store.inventory("globex")) {
            globex = s.map(InventoryEntry::id).toList();
        }
        List<String> expected = new ArrayList<>(of("globex").stream().map(VectorRecord::id).toList());
        deleted.forEach(r -> expected.remove(r.id()));
        expected.add(added.id());
        assertEquals(expected, globex, "inventory of globex after the mutations, in key order");
    }

    private static TreeSet<String> codecs(SegmentInfos infos) {
        TreeSet<String> codecs = new TreeSet<>();
        for (SegmentCommitInfo si : infos) {
            codecs.add(si.info.getCodec().getName());
        }
        return codecs;
    }

    /** The ids of the best {@code k} of {@code candidates}, by score, ties by id: what every store returns. */
    private static List<String> exactTopK(List<VectorRecord> candidates, float[] query, int k,
                                          Map<String, String> filter) {
        return candidates.stream()
                .filter(r -> r.metadata().entrySet().containsAll(filter.entrySet()))
                .sorted(Comparator.<VectorRecord>comparingDouble(r -> -MODEL.similarity().score(query, r.vector()))
                        .thenComparing(VectorRecord::id, RecordKeys.ORDER))
                .limit(k).map(VectorRecord::id).toList();
    }

    private static List<String> ids(List<SearchHit> hits) {
        return hits.stream().map(SearchHit::id).toList();
    }

    private static List<VectorRecord> of(String tenant) {
        return records.stream().filter(r -> r.tenant().equals(tenant)).toList();
    }

    private static VectorRecord record(String tenant, String id) {
        return records.stream().filter(r -> r.tenant().equals(tenant) && r.id().equals(id)).findFirst().orElseThrow();
    }

    // ------------------------------------------------------------------------------------------ fixture

    /** Installs the Lucene 9 payload as the sync client would, and activates it. */
    private Generation install(LuceneVectorStore store) throws IOException {
        NativeInstaller installer = store.nativeInstaller();
        installer.checkReadable(payload, host.toString());
        Path downloads = Files.createDirectories(dir.resolve("downloads"));
        try (NativeInstall install = installer.begin(GenerationSpec.of(1, "written by Lucene 9", MODEL), payload,
                true)) {
            assertEquals(payload.files(), install.filesToFetch(), "a fresh store holds none of the files");
            for (PayloadFile f : install.filesToFetch()) {
                // put() moves its argument: hand over a downloaded copy, never the host's file. Its CRC32 is
                // computed as it is copied, so the install reads only the header and footer of Lucene 9's files.
                Path download = downloads.resolve(f.name());
                ClientDownload.copy(host.resolve(f.name()), download, install.streamingCheck(f));
                install.put(f, download);
            }
            Generation g = install.commit();
            store.activate(g.id());
            return g;
        }
    }

    /**
     * Two tenants; every fifth record without metadata (no metadata field in the index), the others with a
     * language to filter on. Vectors are of random length: cosine ignores it, and the index holds them
     * normalized, as nyla writes them.
     */
    private static List<VectorRecord> records() {
        Random random = new Random(42);
        List<VectorRecord> out = new ArrayList<>();
        for (String tenant : new TreeSet<>(TENANTS.keySet())) {
            for (int i = 0; i < TENANTS.get(tenant); i++) {
                String id = String.format(Locale.ROOT, "doc-%05d", i);
                Map<String, String> metadata = i % 5 == 4 ? Map.of() : Map.of("lang", i % 2 == 0 ? "en" : "de");
                float[] vector = TestData.unitVector(random, DIM);
                float length = 0.5f + 2 * random.nextFloat();
                for (int d = 0; d < DIM; d++) {
                    vector[d] *= length;
                }
                out.add(VectorRecord.of(tenant, id, "text of " + tenant + " " + id, metadata, MODEL, vector));
            }
        }
        return List.copyOf(out);
    }

    /**
     * Writes {@code records} with Lucene 9 into {@code index}: compiles the writer against the Lucene 9 jar
     * alone and runs it in a child JVM whose class path holds nothing else.
     */
    private static void runLucene9Writer(List<VectorRecord> records, Path index) throws IOException,
            InterruptedException {
        Path module = moduleDirectory();
        Path jar = module.resolve("target").resolve("lucene9").resolve("lucene-core-9.jar");
        if (!Files.isRegularFile(jar)) {
            fail(jar + " is missing. Maven's generate-test-resources phase copies lucene-core " + LUCENE9_VERSION
                    + " there (maven-dependency-plugin in nyla-sync-lucene/pom.xml); run this test through Maven: "
                    + "./nyla mvn -pl nyla-sync-lucene -am test -Dtest=" + Lucene9BackwardCompatibilityTest.class
                    .getSimpleName() + " -Dsurefire.failIfNoSpecifiedTests=false");
        }
        Path source = module.resolve("src").resolve("test").resolve("lucene9").resolve("Lucene9IndexWriterMain.java");
        Path classes = Files.createDirectories(shared.resolve("lucene9-classes"));
        compile(source, jar, classes);

        Path input = shared.resolve("records.tsv");
        writeRecordsFile(records, input);
        Path output = shared.resolve("lucene9-writer.log");
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = List.of(java, "-Xmx256m", "-cp", classes + File.pathSeparator + jar,
                "Lucene9IndexWriterMain", input.toString(), index.toString(), MODEL.fingerprint(),
                Integer.toString(MODEL.dimension()), MODEL.similarity().wireName(),
                Schema.luceneSimilarity(MODEL.similarity()).name());
        Process child = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        if (!child.waitFor(CHILD_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
            child.destroyForcibly().waitFor();
            fail("the Lucene 9 writer did not finish within " + CHILD_TIMEOUT_MINUTES + " minutes: " + command
                    + "\noutput:\n" + Files.readString(output));
        }
        if (child.exitValue() != 0) {
            fail("the Lucene 9 writer exited with " + child.exitValue() + ": " + command + "\noutput:\n"
                    + Files.readString(output));
        }
    }

    /** The module's directory, found from where this class was loaded ({@code target/test-classes}). */
    private static Path moduleDirectory() {
        try {
            Path classes = Path.of(Lucene9BackwardCompatibilityTest.class.getProtectionDomain().getCodeSource()
                    .getLocation().toURI());
            return classes.getParent().getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void compile(Path source, Path lucene9Jar, Path classes) throws IOException {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertNotNull(javac, "no Java compiler in " + System.getProperty("java.home") + ": run the tests on a JDK");
        StringWriter diagnostics = new StringWriter();
        // An explicit class path: the writer sees Lucene 9 only, never this JVM's Lucene 10.
        List<String> options = List.of("--release", "21", "-proc:none", "-Xlint:all", "-classpath",
                lucene9Jar.toString(), "-d", classes.toString());
        try (StandardJavaFileManager files = javac.getStandardFileManager(null, Locale.ROOT, StandardCharsets.UTF_8)) {
            Boolean ok = javac.getTask(diagnostics, files, null, options, null, files.getJavaFileObjects(source)).call();
            if (!ok) {
                fail("compiling " + source + " against " + lucene9Jar + " failed:\n" + diagnostics);
            }
        }
    }

    /** The writer's input: see {@code Lucene9IndexWriterMain}. Shuffled, so that Lucene 9's index sort orders it. */
    private static void writeRecordsFile(List<VectorRecord> records, Path file) throws IOException {
        List<VectorRecord> shuffled = new ArrayList<>(records);
        Collections.shuffle(shuffled, new Random(3));
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (VectorRecord r : shuffled) {
                float[] indexed = Schema.indexedVector(r.vector(), MODEL.similarity());
                List<String> floats = new ArrayList<>(indexed.length);
                for (float v : indexed) {
                    floats.add(Float.toString(v));
                }
                String metadata = r.metadata().entrySet().stream().map(e -> plain(e.getKey()) + "=" + plain(e.getValue()))
                        .collect(Collectors.joining(","));
                out.write(String.join("\t", plain(r.tenant()), plain(r.id()), plain(r.text()), metadata,
                        r.contentHash(), String.join(",", floats)));
                out.write('\n');
            }
        }
    }

    /** The line format has no escapes: refuse what it cannot carry rather than write a different record. */
    private static String plain(String s) {
        if (!s.chars().allMatch(c -> c >= 0x20 && c < 0x7f && c != '=' && c != ',')) {
            throw new IllegalArgumentException("'" + s + "': the Lucene 9 writer's input takes printable ASCII without "
                    + "'=' and ','");
        }
        return s;
    }
}
