package dev.nyla.sync.reconcile;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.demo.HashingEmbedder;
import dev.nyla.sync.store.internal.MemoryVectorStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link ReconcileListener#all}: several listeners hear one real sync, and one that throws silences none of the others. */
class ReconcileListenersTest {
    @TempDir
    Path temp;

    /** Records checks and syncs; throws after recording when told to. */
    private static final class Recording implements ReconcileListener {
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
        public void checked(Drift drift) {
            hear("checked missing=" + drift.missing());
        }

        @Override
        public void synced(SyncReport report) {
            hear("synced " + report.outcome());
        }
    }

    @Test
    void everyListenerHearsEveryEventInOrderEvenAfterOneThrows() throws IOException {
        MapSource source = new MapSource().put("acme", "a", "first").put("acme", "b", "second");
        Recording broken = new Recording(true);
        Recording healthy = new Recording(false);
        try (MemoryVectorStore store = new MemoryVectorStore()) {
            Reconciler reconciler = Reconciler.builder().store(store).source(source).embedder(new HashingEmbedder(16))
                    .tempDirectory(temp).listener(ReconcileListener.all(broken, healthy)).build();

            assertEquals(SyncReport.Outcome.SYNCED, reconciler.sync("acme", false).outcome());
            assertEquals(List.of("checked missing=2", "checked missing=0", "synced SYNCED"), healthy.heard);
            assertEquals(healthy.heard, broken.heard, "the throwing listener heard every event too");
        }
    }

    @Test
    void aNullListenerIsRefusedByPosition() {
        NullPointerException e = assertThrows(NullPointerException.class,
                () -> ReconcileListener.all(new ReconcileListener() {
                }, null));
        assertEquals("listeners[1]", e.getMessage());
    }
}
