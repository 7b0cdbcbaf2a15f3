package dev.nyla.sync.client;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.artifact.DirectoryArtifactSource;
import dev.nyla.sync.store.SearchHit;
import dev.nyla.sync.store.SearchRequest;
import dev.nyla.sync.store.VectorStore;
import dev.nyla.sync.store.internal.FileVectorStore;
import dev.nyla.sync.store.internal.MemoryVectorStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Readers search in other threads while the client installs version after version: no search fails, none
 * sees an empty store, and none sees a mix of two versions (every record of version N is tagged v=N).
 */
class ConcurrentSwapTest {
    private static final int VERSIONS = 6;
    private static final int READERS = 3;

    @TempDir
    Path dir;

    @Test
    void readersOfAMemoryStoreNeverSeeAnEmptyOrMixedStoreDuringSwaps() throws Exception {
        try (MemoryVectorStore store = new MemoryVectorStore()) {
            swapUnderReaders(store);
        }
    }

    @Test
    void readersOfAFileStoreNeverSeeAnEmptyOrMixedStoreDuringSwaps() throws Exception {
        try (FileVectorStore store = FileVectorStore.open(dir.resolve("store"))) {
            swapUnderReaders(store);
        }
    }

    private void swapUnderReaders(VectorStore store) throws Exception {
        Releases releases = new Releases(dir.resolve("releases"));
        releases.publish(Releases.corpus(300, 1, 1, true));
        NylaSync sync = NylaSync.builder().source(new DirectoryArtifactSource(releases.host)).store(store)
                .publicKey(Releases.KEYS.getPublic()).queryEmbedder(Releases.EMBEDDER).build();
        assertEquals(SyncResult.Outcome.INSTALLED, sync.checkNow().outcome());

        float[] query = Releases.EMBEDDER.embed("Record about topic 5");
        AtomicBoolean done = new AtomicBoolean();
        AtomicLongArray seen = new AtomicLongArray(READERS);
        ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        List<Thread> readers = new ArrayList<>();
        for (int i = 0; i < READERS; i++) {
            int reader = i;
            Thread t = new Thread(() -> {
                long last = 0;
                while (!done.get()) {
                    try {
                        List<SearchHit> hits = store.search(new SearchRequest("default", query, 20, Map.of()));
                        if (hits.size() != 20) {
                            problems.add("reader " + reader + " got " + hits.size() + " hits");
                            return;
                        }
                        Set<String> versions = new HashSet<>();
                        hits.forEach(h -> versions.add(h.metadata().get("v")));
                        if (versions.size() != 1) {
                            problems.add("reader " + reader + " saw a mix of versions " + versions);
                            return;
                        }
                        long v = Long.parseLong(versions.iterator().next());
                        if (v < last) {
                            problems.add("reader " + reader + " went back from " + last + " to " + v);
                            return;
                        }
                        last = v;
                        seen.set(reader, v);
                    } catch (Exception | Error e) {
                        problems.add("reader " + reader + ": " + e);
                        return;
                    }
                }
            }, "reader-" + i);
            t.start();
            readers.add(t);
        }
        try {
            for (int v = 2; v <= VERSIONS && problems.isEmpty(); v++) {
                releases.publish(Releases.corpus(300, v, 1, true));
                SyncResult r = sync.checkNow();
                assertEquals(SyncResult.Outcome.INSTALLED, r.outcome(), r.steps().toString());
                // Every reader must see this version before the next swap, so the swaps really overlap reads.
                long deadline = System.nanoTime() + 60_000_000_000L;
                for (int i = 0; i < READERS; i++) {
                    while (seen.get(i) < v && problems.isEmpty()) {
                        assertTrue(System.nanoTime() < deadline, "reader " + i + " never saw version " + v);
                        Thread.onSpinWait();
                    }
                }
            }
        } finally {
            done.set(true);
            for (Thread t : readers) {
                t.join();
            }
            sync.close();
        }
        assertEquals(List.of(), List.copyOf(problems));
        for (int i = 0; i < READERS; i++) {
            assertEquals(VERSIONS, seen.get(i));
        }
    }
}
