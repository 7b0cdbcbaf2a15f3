package dev.nyla.sync.client;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.SourceRecord;
import dev.nyla.sync.artifact.HttpArtifactSource;
import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.artifact.SourceUnavailableException;
import dev.nyla.sync.client.FaultyHost.Fault;
import dev.nyla.sync.store.internal.FileVectorStore;
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
 * The sync client over real HTTP on loopback, against a host that fails in the ways real hosts and networks
 * do: 5xx, dropped connections, stalls, a proxy ignoring Range. Every sync completes within the retry budget,
 * resumes where it broke off, and installs exactly the published records.
 */
class HttpSyncTest {
    private static final List<SourceRecord> V1 = Releases.corpus(3000, 1, 100, false);
    private static final List<SourceRecord> V2 = Releases.corpus(3000, 2, 100, false);

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
        releases.publish(V1);
        host = new FaultyHost(releases.host);
        source = HttpArtifactSource.builder(host.uri()).maxAttempts(4).initialBackoff(Duration.ofMillis(2))
                .maxBackoff(Duration.ofMillis(20)).stallTimeout(Duration.ofMillis(300)).build();
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

    @Test
    void aCleanSyncThenAConditionalCheckAnsweredWith304() throws IOException {
        SyncResult first = sync.checkNow();
        assertEquals(SyncResult.Outcome.INSTALLED, first.outcome(), first.steps().toString());
        assertEquals(Releases.expected(V1), Releases.contents(store));
        assertEquals("identity", host.payloadRequests().get(0).acceptEncoding());

        SyncResult second = sync.checkNow();
        assertEquals(SyncResult.Outcome.UP_TO_DATE, second.outcome());
        FaultyHost.Request last = host.requests.get(host.requests.size() - 1);
        assertEquals(304, last.status());
        assertNotNull(last.ifNoneMatch());
    }

    @Test
    void serverErrorsAndADroppedConnectionAreRetriedAndTheDownloadResumesWithRange() throws IOException {
        host.inject(Fault.SERVER_ERROR, Fault.RESET_HALFWAY, Fault.SERVER_ERROR);
        SyncResult r = sync.checkNow();
        assertEquals(SyncResult.Outcome.INSTALLED, r.outcome(), r.steps().toString());
        assertEquals(Releases.expected(V1), Releases.contents(store));
        List<FaultyHost.Request> payload = host.payloadRequests();
        assertEquals(4, payload.size(), payload.toString());
        FaultyHost.Request resumed = payload.get(3);
        assertEquals(206, resumed.status(), payload.toString());
        long offset = Long.parseLong(resumed.range().replaceAll("\\D", ""));
        assertTrue(offset > 0, resumed.range());
        assertNotNull(resumed.ifRange(), "a resumed request is conditional on the file not having changed");
        // Resumed bytes are not fetched twice.
        assertEquals(r.fullPayloadBytes(), r.bytesDownloaded(), "bytes fetched");
    }

    @Test
    void aStalledTransferIsAbandonedByTheWatchdogAndResumed() throws IOException {
        host.inject(Fault.STALL);
        SyncResult r = sync.checkNow();
        assertEquals(SyncResult.Outcome.INSTALLED, r.outcome(), r.steps().toString());
        assertEquals(Releases.expected(V1), Releases.contents(store));
        List<FaultyHost.Request> payload = host.payloadRequests();
        assertEquals(2, payload.size(), payload.toString());
        assertNotNull(payload.get(1).range(), payload.toString());
    }

    @Test
    void aHostIgnoringRangeRestartsTheTransferAndTheResultIsStillExact() throws IOException {
        host.inject(Fault.RESET_HALFWAY, Fault.IGNORE_RANGE);
        SyncResult r = sync.checkNow();
        assertEquals(SyncResult.Outcome.INSTALLED, r.outcome(), r.steps().toString());
        assertEquals(Releases.expected(V1), Releases.contents(store));
        List<FaultyHost.Request> payload = host.payloadRequests();
        assertEquals(200, payload.get(1).status());
        assertNotNull(payload.get(1).range());
    }

    @Test
    void whenTheRetryBudgetIsSpentTheRunFailsTypedAndTheOldVersionServes() throws IOException {
        assertEquals(SyncResult.Outcome.INSTALLED, sync.checkNow().outcome());
        releases.publish(V2);
        // Four failures for each of the three routes (delta, gzip, plain): every attempt of every route fails.
        for (int i = 0; i < 12; i++) {
            host.inject(Fault.SERVER_ERROR);
        }
        SyncResult r = sync.checkNow();
        assertEquals(SyncResult.Outcome.FAILED, r.outcome(), r.steps().toString());
        assertInstanceOf(SourceUnavailableException.class, r.failure().orElseThrow());
        assertEquals(12, host.payloadRequests().stream().filter(q -> q.status() == 503).count());
        assertEquals(Releases.expected(V1), Releases.contents(store));
        // The host recovers: the next check installs version 2 by its delta.
        SyncResult next = sync.checkNow();
        assertEquals(SyncResult.Outcome.INSTALLED, next.outcome(), next.steps().toString());
        assertEquals(InstallRoute.DELTA, next.route().orElseThrow());
        assertEquals(Releases.expected(V2), Releases.contents(store));
    }

    @Test
    void aHostAskingToWaitPastTheBudgetGetsOneRequestAndNoneUntilThenWhileTheOldVersionServes() throws IOException {
        assertEquals(SyncResult.Outcome.INSTALLED, sync.checkNow().outcome());
        releases.publish(V2);
        for (int i = 0; i < 12; i++) {
            host.inject(Fault.TOO_MANY_REQUESTS);
        }
        int before = host.requests.size();

        SyncResult r = sync.checkNow();

        assertEquals(SyncResult.Outcome.FAILED, r.outcome(), r.steps().toString());
        SourceUnavailableException e = assertInstanceOf(SourceUnavailableException.class, r.failure().orElseThrow());
        assertTrue(e.getMessage().contains("HTTP 429 with Retry-After: 3600"), e.getMessage());
        // One 429, not one per attempt of every route: the fallback routes ask the same host, which said when.
        assertEquals(1, host.payloadRequests().stream().filter(q -> q.status() == 429).count(), host.requests.toString());
        assertEquals(Releases.expected(V1), Releases.contents(store));

        int afterFirst = host.requests.size();
        SyncResult next = sync.checkNow();
        assertEquals(SyncResult.Outcome.FAILED, next.outcome(), next.steps().toString());
        assertEquals(afterFirst, host.requests.size(), "no request at all, the manifest's included, within the hour");
        assertTrue(afterFirst - before <= 4, "the manifest, its signature, the probe for the next key document and one "
                + "payload request: "
                + host.requests.subList(before, afterFirst));
    }

    @Test
    void aDeltaPrunedFromTheHostIsA404AndTheFullPayloadInstalls() throws IOException {
        assertEquals(SyncResult.Outcome.INSTALLED, sync.checkNow().outcome());
        Manifest m2 = releases.publish(V2).manifest();
        Files.delete(releases.host.resolve(m2.deltaFrom(1).orElseThrow().files().get(0).name()));
        SyncResult r = sync.checkNow();
        assertEquals(SyncResult.Outcome.INSTALLED, r.outcome(), r.steps().toString());
        assertEquals(InstallRoute.FULL_COMPRESSED, r.route().orElseThrow());
        assertTrue(r.steps().stream().anyMatch(s -> s.contains("the delta from version 1 was not found on the source")
                && s.contains("HTTP 404")), r.steps().toString());
        assertEquals(Releases.expected(V2), Releases.contents(store));
    }
}
