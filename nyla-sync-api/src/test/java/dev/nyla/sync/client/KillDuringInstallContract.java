package dev.nyla.sync.client;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.SourceRecord;
import dev.nyla.sync.artifact.DirectoryArtifactSource;
import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.publish.Publisher;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.SearchHit;
import dev.nyla.sync.store.SearchRequest;
import dev.nyla.sync.store.VectorStore;
import dev.nyla.sync.store.VectorStores;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A child JVM installing the next version into a durable store is killed with SIGKILL, many times, at
 * points spread evenly over the stages of the install (a random line of each stage: checking, downloading,
 * verifying, writing the generation, swapping, committed, idle, and the JVM's start), on both the full
 * route and the delta route. After each kill the
 * store opens and serves exactly the old or exactly the new version (every record and content hash as
 * published, the store's own integrity check passing, a filtered search finding records of that version
 * only), an interrupted install left nothing behind, the client trusts the version the store serves, and
 * the next sync completes the update and leaves no downloads behind.
 *
 * <p>Three more kills are made to land where a crash is easiest to get wrong (the child holds at that point,
 * see {@link InstallUnderKillMain}): twice between the activation of the new generation and the save of the
 * sync state (once per route), once between the state save and the install's clean-up. Random kills that
 * land in the first window are counted too.
 *
 * <p>The store lives on from trial to trial: trial <i>n</i> installs version <i>n</i> + 1 over version
 * <i>n</i>, so every store, a database one too, starts each trial from what the previous kill left. An
 * adapter's test class extends this and says where its store is and what it counts as a leftover.
 * Trials and seed: {@code -Dnyla.kill.trials=N -Dnyla.kill.seed=S}. Shipped in the API's test-jar.
 */
public abstract class KillDuringInstallContract {
    private static final Logger LOG = LoggerFactory.getLogger(KillDuringInstallContract.class);
    /**
     * Random kills per store by default: eight per route, one in each stage but the last (idle); with the
     * held kills and checks, about half a minute to a minute and a half per store on two cores.
     */
    public static final int DEFAULT_TRIALS = 16;
    private static final int RECORDS = 4000;
    /** Every 40th record changes in each version: a delta of 100 records, 2.5 % of the full payload. */
    private static final int CHANGE_EVERY = 40;

    @TempDir
    protected Path dir;

    /**
     * The location of the store under test, which {@link VectorStores#open(String)} opens in this JVM and in
     * the child; a store that keeps files keeps them in {@code directory}. Skips the test when the store's
     * server is absent.
     */
    protected abstract String location(Path directory) throws IOException;

    /**
     * What an interrupted install left in the store besides its committed generations (temporary
     * generations, stray tables), one line each; empty when nothing.
     */
    protected abstract List<String> leftovers(VectorStore store) throws IOException;

    /**
     * The publisher of one version: {@code delta} versions carry a delta from the previous version, the
     * others none, so that clients install them in full. An adapter with a store-native payload adds it here.
     */
    protected Publisher.Builder publisher(boolean delta) {
        return delta ? Publisher.builder() : Publisher.builder().deltaWindow(0);
    }

    /** Version {@code v}: records {@code i % 40 == 0} name the version in their text and in their metadata {@code v}. */
    static List<SourceRecord> corpus(long v) {
        List<SourceRecord> out = new ArrayList<>(RECORDS);
        for (int i = 0; i < RECORDS; i++) {
            boolean changes = i % CHANGE_EVERY == 0;
            out.add(new SourceRecord(i % 10 == 9 ? "other" : "default", String.format("doc-%05d", i),
                    "Record " + i + " about topic " + (i % 17) + ", edition " + (changes ? v : 1) + ".",
                    changes ? Map.of("v", Long.toString(v)) : Map.of("topic", Integer.toString(i % 17))));
        }
        return out;
    }

    private static boolean isDelta(long version) {
        return version % 2 == 1;
    }

    /**
     * A stage of a child's run: the kill points {@code from..to} (lines read before the kill) from its
     * {@code state} line to the line before the next one; "start" kills the JVM before it prints anything.
     */
    private record Stage(String name, int from, int to) {
        static List<Stage> of(List<String> lines) {
            List<Stage> out = new ArrayList<>();
            out.add(new Stage("start", 0, 0));
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).startsWith("state ")) {
                    int end = i + 1;
                    while (end < lines.size() && !lines.get(end).startsWith("state ")) {
                        end++;
                    }
                    out.add(new Stage(lines.get(i).substring("state ".length()), i + 1, end));
                }
            }
            return out;
        }
    }

    /** What one kill left, and where it landed. */
    private record Kill(int killAfter, int lines, String lastLine, boolean servedNew, boolean inWindow) {
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.MINUTES)
    void aKilledInstallLeavesExactlyTheOldOrTheNewVersion() throws Exception {
        int trials = Integer.getInteger("nyla.kill.trials", DEFAULT_TRIALS);
        long seed = Long.getLong("nyla.kill.seed", System.nanoTime());
        Random random = new Random(seed);
        long started = System.nanoTime();
        Releases releases = new Releases(dir.resolve("releases"));
        SigningKeys.write(Releases.KEYS, dir.resolve("publisher"));
        Trials t = new Trials(location(dir.resolve("store")), dir.resolve("state"), releases, dir.resolve("publisher.pub"));

        // Version 1, installed here: every trial starts from a store that serves a version.
        t.publish(1);
        try (VectorStore store = VectorStores.open(t.location); NylaSync sync = t.client(store)) {
            assertEquals(SyncResult.Outcome.INSTALLED, sync.checkNow().outcome());
        }

        // A full and a delta install run to completion tell which lines each prints, stage by stage.
        Map<Boolean, List<Stage>> stages = new HashMap<>();
        for (long v = 2; v <= 3; v++) {
            t.publish(v);
            List<String> all = t.runChild(v, Integer.MAX_VALUE, "");
            assertEquals("done INSTALLED " + v, all.get(all.size() - 1), all.toString());
            String route = all.stream().filter(l -> l.startsWith("route ")).findFirst().orElse("route ?");
            assertEquals(isDelta(v), route.endsWith("DELTA"), "version " + v + " went by " + route + ": " + all);
            stages.put(isDelta(v), Stage.of(all));
            assertTrue(t.check(v, Integer.MAX_VALUE, all, "calibration").servedNew());
        }

        List<Kill> kills = new ArrayList<>();
        int[] ofKind = {(trials + 1) / 2, trials / 2}; // versions 4, 6, ... are full; 5, 7, ... are deltas
        for (int trial = 0; trial < trials; trial++) {
            long v = 4 + trial;
            List<Stage> kind = stages.get(isDelta(v));
            // Spread the kills evenly over the stages, each at a random line of its stage: every stage of the
            // install gets its share, however many progress lines it prints.
            Stage stage = kind.get((int) ((long) (trial / 2) * kind.size() / ofKind[isDelta(v) ? 1 : 0]));
            int killAfter = stage.from() + random.nextInt(stage.to() - stage.from() + 1);
            t.publish(v);
            long childStarted = System.nanoTime();
            List<String> printed = t.runChild(v, killAfter, "");
            long checkStarted = System.nanoTime();
            Kill k = t.check(v, killAfter, printed, "trial " + trial + " (seed " + seed + ")");
            LOG.info("{} trial {}, version {}, stage {}: {}; child {} ms, checks {} ms", getClass().getSimpleName(),
                    trial, v, stage.name(), k, (checkStarted - childStarted) / 1_000_000,
                    (System.nanoTime() - checkStarted) / 1_000_000);
            kills.add(k);
        }
        // Kills held where the child stops: they must land between the activation and the state save (on each
        // route), and between the state save and the clean-up.
        List<String> holds = List.of(InstallUnderKillMain.SWAPPED, InstallUnderKillMain.SWAPPED,
                InstallUnderKillMain.COMMITTED);
        for (int held = 0; held < holds.size(); held++) {
            long v = 4 + trials + held;
            t.publish(v);
            List<String> printed = t.runChild(v, Integer.MAX_VALUE, holds.get(held));
            Kill k = t.check(v, printed.size(), printed, "kill held after '" + holds.get(held) + "'");
            LOG.info("{} held kill {}, version {}: {}", getClass().getSimpleName(), held, v, k);
            boolean swapped = holds.get(held).equals(InstallUnderKillMain.SWAPPED);
            assertEquals(swapped, k.inWindow(), "the kill must land " + (swapped ? "before" : "after")
                    + " the state save: " + k);
            assertTrue(k.servedNew(), k.toString());
            kills.add(k);
        }

        long old = kills.stream().filter(k -> !k.servedNew()).count();
        long inWindow = kills.stream().filter(Kill::inWindow).count();
        long randomInWindow = kills.stream().limit(trials).filter(Kill::inWindow).count();
        String summary = String.format("%s: %d kills (%d random, %d held), %d served the old version, %d the new, "
                        + "%d landed between activation and state save (%d of them random); %.1f s, seed %d",
                getClass().getSimpleName(), kills.size(), trials, holds.size(), old, kills.size() - old, inWindow,
                randomInWindow, (System.nanoTime() - started) / 1e9, seed);
        LOG.info(summary);
        // The random kill points span the run, so they land on both sides of the activation; otherwise they hit
        // nothing useful.
        List<Kill> randomKills = kills.subList(0, trials);
        if (trials >= DEFAULT_TRIALS) {
            assertTrue(randomKills.stream().anyMatch(Kill::servedNew) && randomKills.stream().anyMatch(k -> !k.servedNew()),
                    summary + ": " + randomKills);
        }
    }

    /** The shared state of one test's trials. */
    private final class Trials {
        final String location;
        final Path state;
        final Releases releases;
        final Path publicKey;

        Trials(String location, Path state, Releases releases, Path publicKey) {
            this.location = location;
            this.state = state;
            this.releases = releases;
            this.publicKey = publicKey;
        }

        void publish(long v) throws IOException {
            releases.publish(corpus(v), publisher(isDelta(v)));
        }

        NylaSync client(VectorStore store) throws IOException {
            return NylaSync.builder().source(new DirectoryArtifactSource(releases.host)).store(store)
                    .stateDirectory(state).publicKey(Releases.KEYS.getPublic()).queryEmbedder(Releases.EMBEDDER)
                    .build();
        }

        /**
         * Runs the child installing version {@code v}; kills it with SIGKILL right after it printed
         * {@code killAfter} lines, or once it printed the line starting with {@code holdAfter} (when not
         * empty), where it holds. Returns the lines.
         */
        List<String> runChild(long v, int killAfter, String holdAfter) throws Exception {
            Path java = Path.of(System.getProperty("java.home"), "bin", "java");
            Path log = dir.resolve("child-" + v + ".log");
            Process p = new ProcessBuilder(List.of(java.toString(), "-Xshare:auto", "--add-modules",
                    "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                    "-cp", System.getProperty("java.class.path"), InstallUnderKillMain.class.getName(), location,
                    state.toString(), releases.host.toString(), publicKey.toString(),
                    String.valueOf(Releases.EMBEDDER.model().dimension()), holdAfter))
                    .redirectError(log.toFile()).start();
            List<String> lines = new ArrayList<>();
            try {
                if (killAfter == 0) {
                    // Killed while the JVM starts: the store must simply be untouched.
                    p.destroyForcibly();
                } else {
                    try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(),
                            StandardCharsets.UTF_8))) {
                        for (String line; (line = in.readLine()) != null; ) {
                            lines.add(line);
                            if (lines.size() == killAfter || !holdAfter.isEmpty() && line.startsWith(holdAfter)) {
                                p.destroyForcibly();
                                break;
                            }
                        }
                    }
                }
                assertTrue(p.waitFor(2, TimeUnit.MINUTES), "child did not end");
            } finally {
                p.destroyForcibly();
            }
            if (killAfter == Integer.MAX_VALUE && holdAfter.isEmpty()) {
                assertEquals(0, p.exitValue(), "child installing version " + v + ": " + lines + "\n" + Files.readString(log));
            }
            return lines;
        }

        /**
         * Checks the store after a kill during the install of {@code v}: it serves exactly {@code v - 1} or
         * exactly {@code v}, holds nothing else, the client trusts what it serves, and the next sync brings
         * it to {@code v}.
         */
        Kill check(long v, int killAfter, List<String> printed, String where) throws IOException {
            String last = printed.isEmpty() ? "(nothing)" : printed.get(printed.size() - 1);
            where = where + ", installing version " + v + ", killed after line " + killAfter + " '" + last + "'";
            long saved = LocalState.peek(state).map(s -> s.trustedVersion).orElse(0L);
            long active;
            try (VectorStore store = VectorStores.open(location)) {
                active = store.activeGeneration().map(Generation::version).orElse(0L);
                assertTrue(active == v - 1 || active == v, where + ": active version " + active);
                assertServes(store, active, where);
                assertEquals(List.of(), leftovers(store), where + ": leftovers in the store");
                try (NylaSync sync = client(store)) {
                    assertEquals(active, sync.status().trustedVersion(), where + ": the version the client trusts");
                    SyncResult r = sync.checkNow();
                    assertTrue(r.isCurrent(), where + ": the next sync: " + r.steps());
                    assertEquals(v, r.toVersion(), where + ": the next sync: " + r.steps());
                }
                assertServes(store, v, where + ", after the next sync");
                assertEquals(List.of(), leftovers(store), where + ": leftovers in the store after the next sync");
            }
            try (Stream<Path> downloads = Files.list(state.resolve("downloads"))) {
                assertEquals(List.of(), downloads.toList(), where + ": downloads left after the next sync");
            }
            try (Stream<Path> files = Files.walk(state)) {
                assertEquals(List.of(), files.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList(),
                        where + ": interrupted writes left in the state directory after the next sync");
            }
            return new Kill(killAfter, printed.size(), last, active == v, active == v && saved == v - 1);
        }
    }

    /** Every record and content hash of version {@code v}, the store's own integrity check, and a filtered search. */
    private static void assertServes(VectorStore store, long v, String where) throws IOException {
        assertEquals(Releases.expected(corpus(v)), Releases.contents(store), where + ": contents of version " + v);
        assertEquals(RECORDS, store.verifyActiveGeneration().records(), where);
        float[] query = Releases.EMBEDDER.embed("Record about topic 3");
        List<SearchHit> hits = store.search(new SearchRequest("default", query, 10, Map.of("v", Long.toString(v))));
        assertEquals(10, hits.size(), where + ": hits tagged with version " + v);
        for (long other : Set.of(v - 1, v + 1)) {
            assertEquals(List.of(), store.search(new SearchRequest("default", query, 10, Map.of("v", Long.toString(other)))),
                    where + ": hits tagged with version " + other);
        }
    }

    /**
     * The leftovers of a store kept in a directory with the file and Lucene stores' layout: anything under
     * {@code tmp/}, and directories under {@code generations/} that are not the store's generations.
     */
    protected static List<String> directoryLeftovers(Path root, VectorStore store) throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> tmp = Files.list(root.resolve("tmp"))) {
            tmp.forEach(p -> out.add("tmp/" + p.getFileName()));
        }
        Set<String> kept = new java.util.HashSet<>();
        for (Generation g : store.generations()) {
            kept.add("g-" + g.id());
        }
        try (Stream<Path> generations = Files.list(root.resolve("generations"))) {
            generations.map(p -> p.getFileName().toString()).filter(name -> !kept.contains(name))
                    .forEach(name -> out.add("generations/" + name + " (not a generation of the store: " + kept + ")"));
        }
        return out;
    }
}
