package dev.nyla.sync.lucene;

import dev.nyla.sync.store.Generation;
import java.io.IOException;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.MultiReader;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.ReferenceManager;

/**
 * The generation searches see: a point-in-time reader of one generation's index. Reference counted through
 * the reader, so a swap never interrupts a search and a reader closes when its last search releases it.
 *
 * @param generation the generation, or null when none is active (then the reader is empty)
 */
record Serving(Generation generation, IndexReader reader, IndexSearcher searcher) {

    static Serving of(Generation generation, IndexReader reader) {
        IndexSearcher searcher = new IndexSearcher(reader);
        // The store's queries need no caching of filters between requests; caching would only cost memory.
        searcher.setQueryCache(null);
        return new Serving(generation, reader, searcher);
    }

    static Serving none() {
        try {
            return of(null, new MultiReader());
        } catch (IOException e) {
            // An empty reader opens nothing.
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * Swaps readers for searches. {@link #swapTo} makes a generation opened by the store the one served;
     * {@link #maybeRefreshBlocking()} alone picks up changes committed to the served generation (mutations).
     */
    static final class Manager extends ReferenceManager<Serving> {
        private Serving next;

        Manager() {
            current = none();
        }

        /** Serves {@code serving} from now on; the previous reader closes once its last search releases it. */
        synchronized void swapTo(Serving serving) throws IOException {
            next = serving;
            try {
                maybeRefreshBlocking();
            } finally {
                if (next != null) {
                    // Not taken (the manager was closed): nobody else will close it.
                    next.reader().decRef();
                    next = null;
                }
            }
        }

        @Override
        protected synchronized Serving refreshIfNeeded(Serving old) throws IOException {
            if (next != null) {
                Serving s = next;
                next = null;
                return s;
            }
            if (old.reader() instanceof DirectoryReader dr) {
                DirectoryReader changed = DirectoryReader.openIfChanged(dr);
                if (changed != null) {
                    return of(old.generation(), changed);
                }
            }
            return null;
        }

        @Override
        protected boolean tryIncRef(Serving s) {
            return s.reader().tryIncRef();
        }

        @Override
        protected void decRef(Serving s) throws IOException {
            s.reader().decRef();
        }

        @Override
        protected int getRefCount(Serving s) {
            return s.reader().getRefCount();
        }
    }
}
