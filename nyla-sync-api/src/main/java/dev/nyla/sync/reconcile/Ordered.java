package dev.nyla.sync.reconcile;

import dev.nyla.sync.RecordKeys;
import dev.nyla.sync.store.StoreException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.function.Function;

/**
 * One side of a sorted merge: reads a stream's iterator, checks that keys strictly ascend in
 * {@link RecordKeys} order (which also rules out duplicates), and turns the stream's unchecked failures into
 * typed ones that say which side failed.
 */
final class Ordered<T> {
    private final Iterator<T> iterator;
    private final Function<T, String> key;
    private final String what;
    private final boolean fromSource;
    private String last;
    private long count;

    private Ordered(Iterator<T> iterator, Function<T, String> key, String what, boolean fromSource) {
        this.iterator = iterator;
        this.key = key;
        this.what = what;
        this.fromSource = fromSource;
    }

    /** A side read from a source of truth: its failures become {@link SourceException}s. */
    static <T> Ordered<T> source(Iterator<T> iterator, Function<T, String> key, String what) {
        return new Ordered<>(iterator, key, what, true);
    }

    /** A side read from a store: its failures keep their type (a store's own exceptions). */
    static <T> Ordered<T> store(Iterator<T> iterator, Function<T, String> key, String what) {
        return new Ordered<>(iterator, key, what, false);
    }

    /** The next element, or null at the end. */
    T next() throws IOException {
        T next;
        try {
            if (!iterator.hasNext()) {
                return null;
            }
            next = iterator.next();
        } catch (UncheckedIOException e) {
            if (fromSource && !(e.getCause() instanceof SourceException)) {
                throw new SourceException(what + ": " + e.getMessage(), e.getCause());
            }
            throw e.getCause();
        } catch (IllegalArgumentException | IllegalStateException | NullPointerException e) {
            // A source built an invalid record (a control character in an id, a NULL text).
            if (fromSource) {
                throw new SourceException(what + ": after " + count + " valid entries: " + e.getMessage(), e);
            }
            throw new StoreException(what + ": " + e.getMessage(), e);
        }
        String k = key.apply(next);
        if (last != null && RecordKeys.compare(last, k) >= 0) {
            String expected = "ascending code-point order without duplicates (ORDER BY id COLLATE \"C\")";
            String actual = "'" + k + "' after '" + last + "'";
            if (fromSource) {
                throw new SourceException(what, "order", expected, actual);
            }
            throw new StoreException(what, "order", expected, actual);
        }
        last = k;
        count++;
        return next;
    }

    long count() {
        return count;
    }
}
