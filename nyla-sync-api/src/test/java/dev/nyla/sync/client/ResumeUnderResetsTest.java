package dev.nyla.sync.client;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.ContentHash;
import dev.nyla.sync.SourceRecord;
import dev.nyla.sync.artifact.HttpArtifactSource;
import dev.nyla.sync.store.Compression;
import dev.nyla.sync.store.PayloadFile;
import dev.nyla.sync.store.internal.FileVectorStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Downloads through a host that resets half of its responses after a random part of the body: every resume
 * asks for the first byte not yet received, so the bytes the host transmits stay within a tenth of the
 * clean transfer, and what is installed is exactly what was published.
 */
// A guard against hangs only; no test asserts on timing.
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ResumeUnderResetsTest {
    private static final Logger LOG = LoggerFactory.getLogger(ResumeUnderResetsTest.class);
    private static final double RESET_SHARE = 0.5;
    private static final double MAX_RATIO = 1.1;

    @TempDir
    Path dir;
    private final Closer closer = new Closer();

    @AfterEach
    void tearDown() throws Exception {
        closer.closeAll();
    }

    private HttpArtifactSource source(ResettingHost host) {
        // Progress restarts the count, so a reset after new bytes never spends the budget.
        return closer.later(HttpArtifactSource.builder(host.uri()).maxAttempts(8).initialBackoff(Duration.ofMillis(1))
                .maxBackoff(Duration.ofMillis(5)).build());
    }

    @Test
    void payloadFilesCutByResetsAreResumedWithoutFetchingAgainWhatArrived() throws IOException {
        Path served = Files.createDirectories(dir.resolve("host"));
        SplittableRandom random = new SplittableRandom(21);
        List<PayloadFile> files = new ArrayList<>();
        List<byte[]> contents = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            byte[] body = new byte[4 << 20];
            random.nextBytes(body);
            String sha = ContentHash.sha256Hex(body);
            PayloadFile f = new PayloadFile("records-" + sha + ".nyr", body.length, sha, Compression.NONE, body.length);
            Files.write(served.resolve(f.name()), body);
            files.add(f);
            contents.add(body);
        }
        ResettingHost host = closer.later(new ResettingHost(served, RESET_SHARE, 7));
        HttpArtifactSource source = source(host);
        Downloads downloads = new Downloads(dir.resolve("downloads"));

        long clean = 0;
        long sent = 0;
        for (int i = 0; i < files.size(); i++) {
            PayloadFile f = files.get(i);
            Path done = downloads.fetch(source, f, bytes -> { });
            assertArrayEquals(contents.get(i), Files.readAllBytes(done), f.name());
            clean += f.size();
            sent += host.bytesSent(f.name());
        }

        assertTrue(host.resets() >= 3, "the test cut too few responses to show anything: " + host.responses);
        double ratio = sent / (double) clean;
        LOG.info("files: {} bytes sent for {} bytes, {} x, {} of {} responses reset", sent, clean,
                String.format("%.3f", ratio), host.resets(), host.responses.size());
        assertTrue(ratio <= MAX_RATIO, "bytes sent " + sent + " for " + clean + " bytes of files: " + ratio
                + " x; responses: " + host.responses);
    }

    @Test
    void aSyncThroughResetsInstallsThePublishedRecordsFromAboutOneCleanTransfer() throws IOException {
        Releases releases = new Releases(dir);
        // A payload of about 7 MB: large against what a reset may discard unsent on the host (see ResettingHost).
        List<SourceRecord> records = Releases.corpus(120_000, 1, 100, false);
        releases.publish(records);
        ResettingHost host = closer.later(new ResettingHost(releases.host, RESET_SHARE, 11));
        FileVectorStore store = closer.later(FileVectorStore.open(dir.resolve("store")));
        NylaSync sync = closer.later(NylaSync.builder().source(source(host)).store(store)
                .publicKey(Releases.KEYS.getPublic()).queryEmbedder(Releases.EMBEDDER).build());

        SyncResult r = sync.checkNow();

        assertEquals(SyncResult.Outcome.INSTALLED, r.outcome(), r.steps().toString());
        assertEquals(Releases.expected(records), Releases.contents(store));
        long sent = 0;
        try (var names = Files.list(releases.host)) {
            for (String name : (Iterable<String>) names.map(p -> p.getFileName().toString())::iterator) {
                if (!name.startsWith("manifest")) {
                    sent += host.bytesSent(name);
                }
            }
        }
        assertTrue(r.fullPayloadBytes() > 6 << 20, "payload of " + r.fullPayloadBytes() + " bytes");
        assertTrue(host.resets() >= 1, "no response was cut: " + host.responses);
        double ratio = sent / (double) r.fullPayloadBytes();
        LOG.info("sync: {} payload bytes sent for a payload of {} bytes, {} x, {} of {} responses reset", sent,
                r.fullPayloadBytes(), String.format("%.3f", ratio), host.resets(), host.responses.size());
        assertTrue(ratio <= MAX_RATIO, "payload bytes sent " + sent + " for a payload of " + r.fullPayloadBytes()
                + ": " + ratio + " x; responses: " + host.responses);
    }
}
