package dev.nyla.sync.client;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.ContentHash;
import dev.nyla.sync.InvalidVectorException;
import dev.nyla.sync.MalformedArtifactException;
import dev.nyla.sync.SourceRecord;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.artifact.DirectoryArtifactSource;
import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.artifact.internal.ManifestEdits;
import dev.nyla.sync.internal.RecordEntry;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.VectorStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a store's {@code verify} would refuse is refused at install, by every route that installs records: a
 * signed version whose bytes all verify but whose records do not (a content hash that is not the hash of the
 * record's text and metadata, a zero vector under cosine) is refused with an error naming the record, the
 * installed version keeps serving and still verifies, and a forced reinstall refuses it again instead of
 * installing it. An adapter's test class extends this and says how to open its store.
 *
 * <p>Shipped in the API's test-jar: depend on {@code nyla-sync-api} with {@code <type>test-jar</type>}.
 */
public abstract class InstallChecksContract {
    private static final String BAD_ID = "doc-00000";

    @TempDir
    protected Path dir;

    /** Opens (creating) the store under test, keeping its data in {@code directory} if it keeps any there. */
    protected abstract VectorStore openStore(Path directory) throws IOException;

    /** Version {@code v}: every tenth record, {@value #BAD_ID} among them, is edited in each version. */
    private static List<SourceRecord> corpus(int v) {
        return Releases.corpus(40, v, 10, false);
    }

    /** Every failure a run reports: each failed route's cause, the failure that ended the run last. */
    private static final class Failures implements SyncListener {
        final List<InstallRoute> routes = new ArrayList<>();
        final List<IOException> causes = new ArrayList<>();

        @Override
        public void fallback(InstallRoute failed, InstallRoute next, IOException cause) {
            routes.add(failed);
            causes.add(cause);
        }

        @Override
        public void failed(SyncState stage, IOException cause) {
            causes.add(cause);
        }
    }

    /**
     * Publishes version 1 and installs it, publishes version 2 with {@code edit} applied to record
     * {@value #BAD_ID} in its every record file (full payload and delta), then checks that version 2 is refused
     * by every route, normally and forced, twice, and that version 1 serves throughout and still verifies.
     *
     * @return the failures of the normal run
     */
    private Failures refusedOnEveryRoute(UnaryOperator<VectorRecord> edit) throws IOException {
        Releases releases = new Releases(dir.resolve("site"));
        releases.publish(corpus(1));
        Failures failures = new Failures();
        try (VectorStore store = openStore(dir.resolve("store"));
             NylaSync sync = NylaSync.builder().source(new DirectoryArtifactSource(releases.host)).store(store)
                     .stateDirectory(dir.resolve("sync")).publicKey(Releases.KEYS.getPublic())
                     .queryEmbedder(Releases.EMBEDDER).listener(failures).build()) {
            assertEquals(SyncResult.Outcome.INSTALLED, sync.checkNow().outcome());
            Generation v1 = store.activeGeneration().orElseThrow();
            int generations = store.generations().size();
            failures.causes.clear();

            releases.publish(corpus(2));
            Map<String, Integer> edited = releases.rewriteRecords(f -> true, e -> e instanceof RecordEntry.Upsert u
                    && u.id().equals(BAD_ID) ? new RecordEntry.Upsert(edit.apply(u.record())) : e);
            assertEquals(3, edited.size(), "the full payload, gzip and plain, and the (gzip) delta: " + edited);
            assertTrue(edited.values().stream().allMatch(n -> n == 1), edited.toString());

            SyncResult r = sync.checkNow();
            assertEquals(SyncResult.Outcome.FAILED, r.outcome(), r.steps().toString());
            assertEquals(List.of(InstallRoute.DELTA, InstallRoute.FULL_COMPRESSED), failures.routes,
                    "the delta and both full encodings are tried: " + r.steps());
            assertEquals(3, failures.causes.size(), failures.causes.toString());
            for (int forced = 0; forced < 2; forced++) {
                SyncResult again = sync.forceUpdate();
                assertEquals(SyncResult.Outcome.FAILED, again.outcome(), "forced reinstall " + forced + ": "
                        + again.steps());
                assertEquals(r.failure().orElseThrow().getClass(), again.failure().orElseThrow().getClass());
            }
            assertEquals(v1.id(), store.activeGeneration().orElseThrow().id(), "version 1 keeps serving");
            assertEquals(generations, store.generations().size(), "no refused generation is left behind");
            assertEquals(Releases.expected(corpus(1)), Releases.contents(store));
            assertEquals(v1.id(), store.verifyActiveGeneration().generationId());
            assertEquals(1, sync.status().trustedVersion());
        }
        return failures;
    }

    @Test
    void aRecordWhoseContentHashIsNotItsContentsIsRefusedByEveryRouteAndTheInstalledVersionServes()
            throws IOException {
        String wrong = ContentHash.of("another text", Map.of(), Releases.EMBEDDER.model().fingerprint());
        Failures failures = refusedOnEveryRoute(r -> new VectorRecord(r.tenant(), r.id(), r.text(), r.metadata(),
                wrong, r.vector()));
        for (IOException cause : failures.causes) {
            MalformedArtifactException e = assertInstanceOf(MalformedArtifactException.class, cause,
                    () -> "every route refuses the record: " + cause);
            String right = ContentHash.of(corpus(2).get(0).text(), corpus(2).get(0).metadata(),
                    Releases.EMBEDDER.model().fingerprint());
            assertTrue(e.subject().contains("default/" + BAD_ID), e.getMessage());
            assertTrue(e.expected().startsWith(right), e.getMessage());
            assertTrue(e.actual().startsWith(wrong), e.getMessage());
        }
    }

    @Test
    void aZeroVectorUnderCosineIsRefusedByEveryRouteAndTheInstalledVersionServes() throws IOException {
        Failures failures = refusedOnEveryRoute(r -> r.withVector(new float[r.vector().length]));
        for (IOException cause : failures.causes) {
            InvalidVectorException e = assertInstanceOf(InvalidVectorException.class, cause,
                    () -> "every route refuses the record: " + cause);
            assertTrue(e.subject().contains("default/" + BAD_ID), e.getMessage());
            assertTrue(e.getMessage().contains("cosine"), e.getMessage());
        }
    }

    @Test
    void aDeltaWhoseDeclaredCountsAreNotItsFilesIsRefusedAndTheFullPayloadInstalls() throws IOException {
        Releases releases = new Releases(dir.resolve("site"));
        releases.publish(corpus(1));
        Failures failures = new Failures();
        try (VectorStore store = openStore(dir.resolve("store"));
             NylaSync sync = NylaSync.builder().source(new DirectoryArtifactSource(releases.host)).store(store)
                     .publicKey(Releases.KEYS.getPublic()).queryEmbedder(Releases.EMBEDDER).listener(failures)
                     .build()) {
            assertEquals(SyncResult.Outcome.INSTALLED, sync.checkNow().outcome());
            Path manifest = releases.host.resolve(Manifest.FILE_NAME);
            // Version 2 changes 4 records and deletes none; version 3 likewise.
            Map<Integer, String[]> edits = Map.of(2, new String[] {"/deltas/0/upserts", "5", "(5, 0)", "(4, 0)"},
                    3, new String[] {"/deltas/0/deletes", "1", "(4, 1)", "(4, 0)"});
            for (int v = 2; v <= 3; v++) {
                String[] edit = edits.get(v);
                releases.publish(corpus(v));
                ManifestEdits.set(manifest, edit[0], Long.parseLong(edit[1]));
                releases.signManifest(Files.readAllBytes(manifest));
                failures.routes.clear();
                failures.causes.clear();

                SyncResult r = sync.checkNow();
                assertEquals(SyncResult.Outcome.INSTALLED, r.outcome(), r.steps().toString());
                assertEquals(InstallRoute.FULL_COMPRESSED, r.route().orElseThrow(), r.steps().toString());
                assertEquals(List.of(InstallRoute.DELTA), failures.routes);
                MalformedArtifactException e = assertInstanceOf(MalformedArtifactException.class,
                        failures.causes.get(0));
                assertTrue(e.expected().startsWith(edit[2]), e.getMessage());
                assertTrue(e.actual().startsWith(edit[3]), e.getMessage());
                assertTrue(e.subject().contains("delta-" + (v - 1)), e.getMessage());
                assertEquals(Releases.expected(corpus(v)), Releases.contents(store));
            }
        }
    }
}
