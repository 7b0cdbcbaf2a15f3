package dev.nyla.sync.client;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.SourceRecord;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.artifact.internal.Artifacts;
import dev.nyla.sync.store.Compression;
import dev.nyla.sync.artifact.DirectoryArtifactSource;
import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.store.PayloadFile;
import dev.nyla.sync.internal.RecordEntry;
import dev.nyla.sync.internal.RecordFileReader;
import dev.nyla.sync.store.SearchHit;
import dev.nyla.sync.store.SearchRequest;
import dev.nyla.sync.store.VectorStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client several versions behind catches up with one delta, on a durable store: what the publisher's delta
 * window is for. An adapter's test class extends this and says how to open its store.
 *
 * <p>Shipped in the API's test-jar: depend on {@code nyla-sync-api} with {@code <type>test-jar</type>}.
 */
public abstract class DeltaCatchUpContract {
    private static final int RECORDS = 200;

    @TempDir
    protected Path dir;

    /** Opens (creating) the store under test, keeping its data in {@code directory} if it keeps any there. */
    protected abstract VectorStore openStore(Path directory) throws IOException;

    /**
     * Version {@code v}: every 25th record edited in each version, one record missing in each (deleted, then
     * back in the next version) and one record that exists in this version only.
     */
    static List<SourceRecord> corpus(int v) {
        List<SourceRecord> records = new ArrayList<>(Releases.corpus(RECORDS, v, 25, false));
        records.remove(100 + v);
        records.add(new SourceRecord("default", "only-in-" + v, "A record of version " + v + " only.", Map.of()));
        return records;
    }

    @Test
    void aClientSevenVersionsBehindInstallsTheCurrentVersionByOneDelta() throws IOException {
        Releases releases = new Releases(dir.resolve("site"));
        releases.publish(corpus(1));
        try (VectorStore store = openStore(dir.resolve("store"));
             NylaSync sync = NylaSync.builder().source(new DirectoryArtifactSource(releases.host)).store(store)
                     .stateDirectory(dir.resolve("sync")).publicKey(Releases.KEYS.getPublic())
                     .queryEmbedder(Releases.EMBEDDER).build()) {
            assertEquals(SyncResult.Outcome.INSTALLED, sync.checkNow().outcome());
            Manifest m = null;
            for (int v = 2; v <= 8; v++) {
                m = releases.publish(corpus(v)).manifest();
            }

            SyncResult r = sync.checkNow();
            assertEquals(SyncResult.Outcome.INSTALLED, r.outcome(), r.steps().toString());
            assertEquals(InstallRoute.DELTA, r.route().orElseThrow(), r.steps().toString());
            assertEquals(1, r.fromVersion());
            assertEquals(8, r.toVersion());
            assertEquals(Artifacts.preferredEncoding(m.deltaFrom(1).orElseThrow().files()).size(), r.bytesDownloaded());
            assertTrue(r.bytesDownloaded() * 4 < r.fullPayloadBytes(), r.bytesDownloaded() + " of " + r.fullPayloadBytes());
            assertEquals(Releases.expected(corpus(8)), Releases.contents(store));
            // Texts, metadata and vectors too: each published vector finds its own record, at similarity 1.
            for (VectorRecord published : fullPayload(releases.host, m)) {
                List<SearchHit> hits = store.search(SearchRequest.of(published.tenant(), published.vector(), 5));
                SearchHit own = hits.stream().filter(h -> h.id().equals(published.id())).findFirst()
                        .orElseThrow(() -> new AssertionError(published.id() + " not found by its own vector: " + hits));
                assertEquals(1.0f, own.score(), 1e-4f, published.id());
                assertEquals(published.text(), own.text());
                assertEquals(published.metadata(), own.metadata());
            }
        }
    }

    private static List<VectorRecord> fullPayload(Path host, Manifest m) throws IOException {
        PayloadFile plain = m.payload().files().stream().filter(f -> f.compression() == Compression.NONE).findFirst()
                .orElseThrow();
        List<VectorRecord> out = new ArrayList<>();
        try (RecordFileReader reader = Artifacts.openRecordFile(new DirectoryArtifactSource(host), plain,
                m.model().dimension(), m.vectorEncoding())) {
            for (Optional<RecordEntry> e; (e = reader.next()).isPresent(); ) {
                out.add(((RecordEntry.Upsert) e.get()).record());
            }
        }
        return out;
    }
}
