package dev.nyla.sync.lucene;

import dev.nyla.sync.IntegrityException;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.internal.StoreDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.lucene.index.CorruptIndexException;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.MultiReader;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.ReferenceManager;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;

/**
 * The generation searches see: a point-in-time reader of one generation's index. Reference counted through
 * the reader, so a swap never interrupts a search and a reader closes when its last search releases it.
 *
 * @param generation the generation, or null when none is active (then the reader is empty)
 * @param directory  the generation's directory, or null with no generation
 */
record Serving(Generation generation, IndexReader reader, IndexSearcher searcher, SharedDirectory directory) {

    /**
     * A generation's directory, shared by the readers opened on it (a mutation's refresh opens a new reader
     * on the same directory): closed when the last of them closes.
     */
    static final class SharedDirectory {
        private final Directory directory;
        private final AtomicInteger readers = new AtomicInteger();

        SharedDirectory(Directory directory) {
            this.directory = directory;
        }

        /** Serves a reader opened on this directory; the directory stays open until the reader closes. */
        Serving serve(Generation generation, DirectoryReader reader) {
            readers.incrementAndGet();
            reader.getReaderCacheHelper().addClosedListener(key -> {
                if (readers.decrementAndGet() == 0) {
                    directory.close();
                }
            });
            return of(generation, reader, this);
        }
    }

    /**
     * Opens generation {@code generation}'s index in {@code index} for searches. A {@code reader} (a read-only
     * store) must not bring back a generation its writer deleted meanwhile: it fails with
     * {@link NoSuchFileException} instead, and removes what opening created.
     */
    static Serving open(Generation generation, Path index, boolean reader) throws IOException {
        if (reader && !Files.isDirectory(index)) {
            throw new NoSuchFileException(index.toString(), null, "deleted by the store's writer");
        }
        // FSDirectory creates a missing directory: a generation deleted by the writer just now would reappear.
        Directory dir = FSDirectory.open(index);
        DirectoryReader opened;
        try {
            opened = DirectoryReader.open(dir);
        } catch (IOException | RuntimeException e) {
            dir.close();
            if (reader) {
                removeIfRecreated(index);
            }
            if (e instanceof CorruptIndexException c) {
                throw new IntegrityException(index + " (generation " + generation.id() + ")", "Lucene index",
                        "an index Lucene opens", c.getMessage(), c);
            }
            throw e;
        }
        return new SharedDirectory(dir).serve(generation, opened);
    }

    /**
     * Removes the empty directories FSDirectory created when the writer deleted a generation between this
     * reader's check and its open: only empty ones, so nothing of the writer's can go.
     */
    private static void removeIfRecreated(Path index) {
        try {
            Files.deleteIfExists(index);
            if (!Files.exists(index.resolveSibling(StoreDirectory.GENERATION_FILE))) {
                Files.deleteIfExists(index.getParent());
            }
        } catch (IOException e) {
            // Not empty, or not ours to remove (the writer is using it): it stays.
        }
    }

    static Serving of(Generation generation, IndexReader reader) {
        return of(generation, reader, null);
    }

    private static Serving of(Generation generation, IndexReader reader, SharedDirectory directory) {
        IndexSearcher searcher = new IndexSearcher(reader);
        // The store's queries need no caching of filters between requests; caching would only cost memory.
        searcher.setQueryCache(null);
        return new Serving(generation, reader, searcher, directory);
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
        /** Handed from swapTo to refreshIfNeeded, which runs on the same thread under the refresh lock. */
        private volatile Serving next;

        Manager() {
            current = none();
        }

        /**
         * Serves {@code serving} from now on; the previous reader closes once its last search releases it.
         * Callers serialize swaps and refreshes (the store's write lock).
         */
        void swapTo(Serving serving) throws IOException {
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
        protected Serving refreshIfNeeded(Serving old) throws IOException {
            if (next != null) {
                Serving s = next;
                next = null;
                return s;
            }
            if (old.reader() instanceof DirectoryReader dr) {
                DirectoryReader changed = DirectoryReader.openIfChanged(dr);
                if (changed != null) {
                    return old.directory().serve(old.generation(), changed);
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
