package dev.nyla.sync.client;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.artifact.DirectoryArtifactSource;
import dev.nyla.sync.store.internal.MemoryVectorStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link SyncListener#all}: several listeners hear one real sync, and one that throws silences none of the others. */
class SyncListenersTest {
    @TempDir
    Path dir;

    /** Records state changes and the run's end; throws after recording when told to. */
    private static final class Recording implements SyncListener {
        final List<String> heard = Collections.synchronizedList(new ArrayList<>());
        private final boolean throwing;

        Recording(boolean throwing) {
            this.throwing = throwing;
        }

        private void hear(String event) {
            heard.add(event);
            if (throwing) {
                throw new IllegalStateException("a broken listener");
            }
        }

        @Override
        public void stateChanged(SyncState from, SyncState to) {
            hear(to.name());
        }

        @Override
        public void completed(SyncResult result) {
            hear("completed " + result.outcome());
        }
    }

    @Test
    void everyListenerHearsEveryEventInOrderEvenAfterOneThrows() throws IOException {
        Releases releases = new Releases(dir);
        releases.publish(Releases.corpus(50, 1, 10, false));
        Recording broken = new Recording(true);
        Recording healthy = new Recording(false);
        try (MemoryVectorStore store = new MemoryVectorStore();
             NylaSync sync = NylaSync.builder().source(new DirectoryArtifactSource(releases.host)).store(store)
                     .publicKey(Releases.KEYS.getPublic()).queryEmbedder(Releases.EMBEDDER)
                     .listener(SyncListener.all(broken, healthy)).build()) {
            SyncResult result = sync.checkNow();

            assertEquals(SyncResult.Outcome.INSTALLED, result.outcome(), result.steps().toString());
            assertEquals(List.of("CHECKING", "UPDATE_AVAILABLE", "DOWNLOADING", "VERIFYING", "INSTALLING", "SWAPPING",
                    "COMMITTED", "completed INSTALLED", "IDLE"), healthy.heard);
            assertEquals(healthy.heard, broken.heard, "the throwing listener heard every event too");
        }
    }

    @Test
    void aNullListenerIsRefusedByPosition() {
        NullPointerException e = assertThrows(NullPointerException.class,
                () -> SyncListener.all(SyncListener.NONE, null));
        assertEquals("listeners[1]", e.getMessage());
    }
}
