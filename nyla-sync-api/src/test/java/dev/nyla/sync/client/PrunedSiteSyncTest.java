package dev.nyla.sync.client;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.SourceRecord;
import dev.nyla.sync.artifact.ArtifactSource;
import dev.nyla.sync.artifact.DirectoryArtifactSource;
import dev.nyla.sync.artifact.HttpArtifactSource;
import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.publish.PruneResult;
import dev.nyla.sync.publish.Publisher;
import dev.nyla.sync.publish.SitePruner;
import dev.nyla.sync.store.PayloadFile;
import dev.nyla.sync.store.internal.MemoryVectorStore;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clients of a pruned site: those at a kept version update as before, those at a pruned version install the
 * current full payload, and one that still holds an old manifest whose files were pruned falls back route by
 * route, or fails that run and converges at the next check.
 */
class PrunedSiteSyncTest {
    @TempDir
    Path dir;
    private Releases releases;
    private final Closer closer = new Closer();
    private final NylaSyncTest.Events events = new NylaSyncTest.Events();

    @BeforeEach
    void setUp() throws IOException {
        releases = new Releases(dir);
    }

    @AfterEach
    void tearDown() throws Exception {
        closer.closeAll();
    }

    private static List<SourceRecord> corpus(int version) {
        return Releases.corpus(200, version, 20, false);
    }

    private NylaSync client(ArtifactSource source) throws IOException {
        MemoryVectorStore store = closer.later(new MemoryVectorStore());
        return closer.later(NylaSync.builder().source(source).store(store).publicKey(Releases.KEYS.getPublic())
                .queryEmbedder(Releases.EMBEDDER).listener(events).build());
    }

    private static SyncResult installed(NylaSync sync, long version) throws IOException {
        SyncResult r = sync.checkNow();
        assertEquals(SyncResult.Outcome.INSTALLED, r.outcome(), r.steps().toString());
        assertEquals(version, r.toVersion());
        return r;
    }

    private PruneResult prune(int keep) throws IOException {
        return SitePruner.prune(releases.host, keep, List.of(Releases.KEYS.getPublic()), false);
    }

    @Test
    void aClientAtTheOldestKeptVersionTakesTheDeltaAndOneAtAPrunedVersionInstallsInFull() throws IOException {
        DirectoryArtifactSource source = new DirectoryArtifactSource(releases.host);
        releases.publish(corpus(1));
        NylaSync pruned = client(source);
        installed(pruned, 1);
        for (int v = 2; v <= 5; v++) {
            releases.publish(corpus(v));
        }
        NylaSync kept = client(source);
        installed(kept, 5);
        Manifest current = releases.publish(corpus(6)).manifest();
        assertEquals(List.of(1L, 2L, 3L, 4L), prune(2).removedVersions());

        SyncResult delta = installed(kept, 6);
        assertEquals(InstallRoute.DELTA, delta.route().orElseThrow());
        assertEquals(Releases.expected(corpus(6)), Releases.contents(kept.store()));

        // Version 1's own files are gone; the current manifest's are all there, a delta from 1 among them if it has one.
        SyncResult full = installed(pruned, 6);
        assertEquals(current.deltaFrom(1).isPresent() ? InstallRoute.DELTA : InstallRoute.FULL_COMPRESSED,
                full.route().orElseThrow());
        assertEquals(Releases.expected(corpus(6)), Releases.contents(pruned.store()));
    }

    @Test
    void anOldManifestWhoseDeltaWasPrunedFallsBackToItsFullPayloadOverHttp() throws IOException {
        // Versions 3 and 4 republish version 2's corpus: the full payload of version 2 is theirs too, and stays.
        // They carry no delta from version 1 (a window of one version), so version 2's delta from it is pruned.
        releases.publish(corpus(1));
        try (FaultyHost host = new FaultyHost(releases.host);
             HttpArtifactSource http = HttpArtifactSource.builder(host.uri()).maxAttempts(2)
                     .initialBackoff(Duration.ofMillis(1)).maxBackoff(Duration.ofMillis(5)).build()) {
            NylaSync sync = client(http);
            installed(sync, 1);
            Manifest v2 = releases.publish(corpus(2)).manifest();
            releases.publish(corpus(2), Publisher.builder().deltaWindow(1));
            releases.publish(corpus(2), Publisher.builder().deltaWindow(1));
            prune(2);
            // A CDN still serving version 2's manifest: its delta from version 1 is gone, its full payload is not.
            PayloadFile delta = v2.deltaFrom(1).orElseThrow().files().get(0);
            assertFalse(Files.exists(releases.host.resolve(delta.name())) || v2.payload().files().stream()
                    .anyMatch(f -> !Files.exists(releases.host.resolve(f.name()))), "precondition: the prune deleted "
                    + "version 2's delta and kept its full payload, which versions 3 and 4 name too");
            releases.serveOld(2);
            SyncResult r = installed(sync, 2);
            assertEquals(InstallRoute.FULL_COMPRESSED, r.route().orElseThrow());
            assertTrue(events.log.contains("fallback DELTA -> FULL_COMPRESSED"), events.log.toString());
            assertTrue(r.steps().stream().anyMatch(s -> s.startsWith("DELTA: the delta from version 1 was not found")
                    && s.contains("HTTP 404")), r.steps().toString());
            assertEquals(Releases.expected(corpus(2)), Releases.contents(sync.store()));

            releases.serveOld(4);
            installed(sync, 4);
            assertEquals(Releases.expected(corpus(2)), Releases.contents(sync.store()));
        }
    }

    @Test
    void anOldManifestWhoseEveryFileWasPrunedFailsTheRunAndTheNextCheckConverges() throws IOException {
        DirectoryArtifactSource source = new DirectoryArtifactSource(releases.host);
        releases.publish(corpus(1));
        NylaSync sync = client(source);
        installed(sync, 1);
        for (int v = 2; v <= 4; v++) {
            releases.publish(corpus(v));
        }
        prune(2);
        releases.serveOld(2);
        SyncResult failed = sync.checkNow();
        assertEquals(SyncResult.Outcome.FAILED, failed.outcome(), failed.steps().toString());
        assertInstanceOf(FileNotFoundException.class, failed.failure().orElseThrow());
        assertTrue(events.log.contains("fallback DELTA -> FULL_COMPRESSED"), events.log.toString());
        assertTrue(events.log.contains("fallback FULL_COMPRESSED -> FULL_UNCOMPRESSED"), events.log.toString());
        assertEquals(Releases.expected(corpus(1)), Releases.contents(sync.store()), "version 1 keeps serving");

        releases.serveOld(4);
        installed(sync, 4);
        assertEquals(Releases.expected(corpus(4)), Releases.contents(sync.store()));
    }
}
