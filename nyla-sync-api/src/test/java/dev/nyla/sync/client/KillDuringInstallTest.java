package dev.nyla.sync.client;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.SourceRecord;
import dev.nyla.sync.artifact.DirectoryArtifactSource;
import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.store.FileVectorStore;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.InventoryEntry;
import dev.nyla.sync.store.SearchHit;
import dev.nyla.sync.store.SearchRequest;
import dev.nyla.sync.store.VectorStore;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A child JVM installing version 2 over version 1 is killed with SIGKILL at random points of the install,
 * many times. After each kill the store opens, serves exactly version 1 or exactly version 2 (every record and
 * content hash as published, every file's SHA-256 trailer intact), carries no leftovers, and the next sync
 * completes the update. Trials and seed: {@code -Dnyla.kill.trials=N -Dnyla.kill.seed=S}.
 */
class KillDuringInstallTest {
    private static final int RECORDS = 8000;
    private static final List<SourceRecord> V1 = Releases.corpus(RECORDS, 1, 1, true);
    private static final List<SourceRecord> V2 = Releases.corpus(RECORDS, 2, 1, true);

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void aKilledInstallLeavesExactlyTheOldOrTheNewVersion() throws Exception {
        int trials = Integer.getInteger("nyla.kill.trials", 24);
        long seed = Long.getLong("nyla.kill.seed", System.nanoTime());
        Random random = new Random(seed);
        Releases releases = new Releases(dir.resolve("releases"));
        releases.publish(V1);
        releases.publish(V2);
        SigningKeys.write(Releases.KEYS, dir.resolve("publisher"));
        Path publicKey = dir.resolve("publisher.pub");
        List<String> expected1 = Releases.expected(V1);
        List<String> expected2 = Releases.expected(V2);

        // The starting point of every trial: a store with version 1 installed by the client.
        Path template = dir.resolve("template");
        releases.serveOld(1);
        try (FileVectorStore store = FileVectorStore.open(template);
             NylaSync sync = NylaSync.builder().source(new DirectoryArtifactSource(releases.host)).store(store)
                     .publicKey(Releases.KEYS.getPublic()).queryEmbedder(Releases.EMBEDDER).build()) {
            assertEquals(SyncResult.Outcome.INSTALLED, sync.checkNow().outcome());
        }
        releases.serveOld(2);

        // A run to completion tells how many progress lines a whole install prints.
        Path calibration = copy(template, dir.resolve("calibration"));
        List<String> all = runChild(calibration, releases.host, publicKey, Integer.MAX_VALUE);
        assertTrue(all.get(all.size() - 1).startsWith("done INSTALLED 2"), all.toString());
        int lines = all.size();

        int sawOld = 0;
        int sawNew = 0;
        List<String> report = new ArrayList<>();
        for (int trial = 0; trial < trials; trial++) {
            // Spread the kill points over the whole run, each at a random line within its slice.
            int killAfter = (int) ((long) trial * lines / trials) + random.nextInt(Math.max(1, lines / trials));
            Path storeDir = copy(template, dir.resolve("trial-" + trial));
            List<String> printed = runChild(storeDir, releases.host, publicKey, killAfter);
            String last = printed.isEmpty() ? "(nothing)" : printed.get(printed.size() - 1);

            long version;
            try (FileVectorStore store = FileVectorStore.open(storeDir)) {
                version = store.activeGeneration().map(Generation::version).orElse(0L);
                String where = "trial " + trial + " (seed " + seed + "), killed after '" + last + "'";
                assertTrue(version == 1 || version == 2, where + ": active version " + version);
                assertEquals(version == 1 ? expected1 : expected2, Releases.contents(store), where);
                assertSearchServes(store, version, where);
                try (Stream<Path> leftovers = Files.list(storeDir.resolve("tmp"))) {
                    assertEquals(List.of(), leftovers.toList(), where + ": leftovers");
                }
                try (NylaSync sync = NylaSync.builder().source(new DirectoryArtifactSource(releases.host)).store(store)
                        .publicKey(Releases.KEYS.getPublic()).queryEmbedder(Releases.EMBEDDER).build()) {
                    assertEquals(version, sync.status().trustedVersion(), where);
                    SyncResult r = sync.checkNow();
                    assertTrue(r.isCurrent(), where + ": " + r.steps());
                    assertEquals(expected2, Releases.contents(store), where + ": after the next sync");
                }
            }
            if (version == 1) {
                sawOld++;
            } else {
                sawNew++;
            }
            report.add("kill after line " + killAfter + "/" + lines + " ('" + last + "') -> v" + version);
        }
        // The kill points span the run, so both outcomes must occur; otherwise the test killed nothing useful.
        assertTrue(sawOld > 0 && sawNew > 0, "old " + sawOld + ", new " + sawNew + ": " + report);
    }

    /** Runs the child; kills it with SIGKILL right after it printed {@code killAfter} lines. Returns the lines. */
    private static List<String> runChild(Path store, Path host, Path publicKey, int killAfter) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(List.of(java.toString(), "-Xshare:auto", "-cp", System.getProperty("java.class.path"),
                InstallUnderKillMain.class.getName(), store.toString(), host.toString(), publicKey.toString(),
                String.valueOf(Releases.EMBEDDER.model().dimension())))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        List<String> lines = new ArrayList<>();
        if (killAfter == 0) {
            // Killed while the JVM starts: the store must simply be untouched.
            p.destroyForcibly();
            assertTrue(p.waitFor(2, TimeUnit.MINUTES), "child did not end");
            return lines;
        }
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                lines.add(line);
                if (lines.size() == killAfter) {
                    p.destroyForcibly();
                    break;
                }
            }
        }
        assertTrue(p.waitFor(2, TimeUnit.MINUTES), "child did not end");
        return lines;
    }

    private static void assertSearchServes(VectorStore store, long version, String where) throws IOException {
        List<SearchHit> hits = store.search(new SearchRequest("default",
                Releases.EMBEDDER.embed("Record about topic 3"), 10, Map.of()));
        assertEquals(10, hits.size(), where);
        Set<String> tags = new HashSet<>();
        hits.forEach(h -> tags.add(h.metadata().get("v")));
        assertEquals(Set.of(String.valueOf(version)), tags, where);
    }



    private static Path copy(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : files.toList()) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else if (!f.getFileName().toString().equals("LOCK")) {
                    Files.copy(f, target);
                }
            }
        }
        return to;
    }
}
