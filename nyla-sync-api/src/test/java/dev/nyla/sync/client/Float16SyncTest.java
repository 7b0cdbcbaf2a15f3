package dev.nyla.sync.client;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.MalformedArtifactException;
import dev.nyla.sync.SourceRecord;
import dev.nyla.sync.UnsupportedFormatException;
import dev.nyla.sync.VectorEncoding;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.artifact.HttpArtifactSource;
import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.artifact.internal.ManifestEdits;
import dev.nyla.sync.artifact.internal.ManifestSignature;
import dev.nyla.sync.internal.RecordEntry;
import dev.nyla.sync.internal.RecordFileReader;
import dev.nyla.sync.publish.Publisher;
import dev.nyla.sync.store.internal.FileVectorStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Float16 versions over real HTTP on loopback: installed widened to exactly the published values; a manifest
 * this client cannot read is refused before any payload request; a record file whose encoding is not the
 * manifest's is refused on every route.
 */
class Float16SyncTest {
    private static final List<SourceRecord> V1 = Releases.corpus(300, 1, 10, false);
    private static final List<SourceRecord> V2 = Releases.corpus(300, 2, 10, false);

    @TempDir
    Path dir;
    private Releases releases;
    private FaultyHost host;
    private HttpArtifactSource source;
    private FileVectorStore store;
    private NylaSync sync;

    @BeforeEach
    void setUp() throws IOException {
        releases = new Releases(dir);
        host = new FaultyHost(releases.host);
        source = HttpArtifactSource.builder(host.uri()).maxAttempts(2).initialBackoff(Duration.ofMillis(2)).build();
        store = FileVectorStore.open(dir.resolve("store"));
        sync = NylaSync.builder().source(source).store(store).publicKey(Releases.KEYS.getPublic())
                .queryEmbedder(Releases.EMBEDDER).build();
    }

    @AfterEach
    void tearDown() throws IOException {
        sync.close();
        store.close();
        source.close();
        host.close();
    }

    private void publish(List<SourceRecord> records, VectorEncoding encoding) throws IOException {
        releases.publish(records, Publisher.builder().vectorEncoding(encoding));
    }

    /** Replaces the host's manifest by {@code edit} of it, signed with the publisher's key, as a newer publisher would. */
    private void rewriteManifest(UnaryOperator<String> edit) throws IOException {
        Path manifest = releases.host.resolve(Manifest.FILE_NAME);
        byte[] edited = edit.apply(Files.readString(manifest)).getBytes(StandardCharsets.UTF_8);
        Files.write(releases.host.resolve(Manifest.SIGNATURE_FILE_NAME), ManifestSignature.sign(edited, Releases.KEYS));
        Files.write(manifest, edited);
    }

    /** What the file store persisted for its active generation, read from its records file on disk. */
    private List<VectorRecord> persisted() throws IOException {
        long id = store.activeGeneration().orElseThrow().id();
        Path file = dir.resolve("store").resolve("generations").resolve("g-" + id).resolve("records.nyr");
        List<VectorRecord> out = new java.util.ArrayList<>();
        try (InputStream in = Files.newInputStream(file);
             RecordFileReader r = RecordFileReader.open(in, file.toString(), Releases.EMBEDDER.model().dimension())) {
            for (Optional<RecordEntry> e; (e = r.next()).isPresent(); ) {
                out.add(((RecordEntry.Upsert) e.get()).record());
            }
        }
        return out;
    }

    private static void assertWidenedHalves(List<SourceRecord> published, List<VectorRecord> stored) throws IOException {
        assertEquals(published.size(), stored.size());
        java.util.Map<String, SourceRecord> byKey = new java.util.HashMap<>();
        published.forEach(s -> byKey.put(s.tenant() + "/" + s.id(), s));
        for (VectorRecord r : stored) {
            float[] embedded = Releases.EMBEDDER.embed(byKey.get(r.tenant() + "/" + r.id()).text());
            float[] expected = new float[embedded.length];
            for (int i = 0; i < embedded.length; i++) {
                expected[i] = Float.float16ToFloat(Float.floatToFloat16(embedded[i]));
            }
            assertArrayEquals(expected, r.vector(), r.tenant() + "/" + r.id());
        }
    }

    @Test
    void anF16VersionAndItsDeltaInstallWidenedToExactlyThePublishedValues() throws IOException {
        publish(V1, VectorEncoding.F16);
        SyncResult first = sync.checkNow();
        assertEquals(SyncResult.Outcome.INSTALLED, first.outcome(), first.steps().toString());
        assertEquals(Releases.expected(V1), Releases.contents(store));
        assertWidenedHalves(V1, persisted());

        publish(V2, VectorEncoding.F16);
        SyncResult second = sync.checkNow();
        assertEquals(InstallRoute.DELTA, second.route().orElseThrow(), second.steps().toString());
        assertEquals(Releases.expected(V2), Releases.contents(store));
        assertWidenedHalves(V2, persisted());
    }

    @Test
    void anUnknownVectorEncodingIsRefusedBeforeAnyPayloadIsRequested() throws IOException {
        publish(V1, VectorEncoding.F16);
        rewriteManifest(m -> ManifestEdits.set(m, "/vectorEncoding", "bf16"));
        SyncResult r = sync.checkNow();
        assertEquals(SyncResult.Outcome.FAILED, r.outcome(), r.steps().toString());
        UnsupportedFormatException e = assertInstanceOf(UnsupportedFormatException.class, r.failure().orElseThrow());
        assertEquals("'bf16'", e.actual());
        assertEquals(List.of(), host.payloadRequests(), "nothing but the manifest was requested");
        assertTrue(store.activeGeneration().isEmpty());
    }

    @Test
    void aNewerFormatVersionIsRefusedBeforeAnyPayloadIsRequested() throws IOException {
        publish(V1, VectorEncoding.F16);
        rewriteManifest(m -> ManifestEdits.set(m, "/formatVersion", 3));
        SyncResult r = sync.checkNow();
        assertEquals(SyncResult.Outcome.FAILED, r.outcome(), r.steps().toString());
        UnsupportedFormatException e = assertInstanceOf(UnsupportedFormatException.class, r.failure().orElseThrow());
        assertTrue(e.getMessage().contains("too old"), e.getMessage());
        assertEquals(List.of(), host.payloadRequests());
    }

    @Test
    void recordFilesWhoseEncodingIsNotTheManifestsAreRefusedOnEveryRoute() throws IOException {
        publish(V1, VectorEncoding.F32);
        assertEquals(SyncResult.Outcome.INSTALLED, sync.checkNow().outcome());
        publish(V2, VectorEncoding.F32);
        // A manifest declaring float16 over float32 files: the delta and both full files disagree with it.
        rewriteManifest(m -> ManifestEdits.set(ManifestEdits.set(m, "/formatVersion", 2), "/vectorEncoding", "f16"));
        SyncResult r = sync.checkNow();

        assertEquals(SyncResult.Outcome.FAILED, r.outcome(), r.steps().toString());
        MalformedArtifactException e = assertInstanceOf(MalformedArtifactException.class, r.failure().orElseThrow());
        assertTrue(e.getMessage().contains("vector encoding") && e.actual().equals("f32"), e.getMessage());
        for (InstallRoute route : List.of(InstallRoute.DELTA, InstallRoute.FULL_COMPRESSED, InstallRoute.FULL_UNCOMPRESSED)) {
            assertTrue(r.steps().stream().anyMatch(s -> s.startsWith(route + " failed") && s.contains("vector encoding")),
                    route + " in " + r.steps());
        }
        assertEquals(1, store.activeGeneration().orElseThrow().version());
        assertEquals(Releases.expected(V1), Releases.contents(store));
    }
}
