package dev.nyla.sync.jdbc;

import dev.nyla.sync.store.InventoryEntry;
import dev.nyla.sync.store.StoreException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.Function;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * The tenant and inventory streams of the active generation, read in key-ordered pages, one connection per
 * page; each stream pins its generation until it closes.
 */
final class Inventories extends StorePart {
    Inventories(Transactions tx, Generations generations, Dialect dialect, JdbcOptions options, String location) {
        super(tx, generations, dialect, options, location);
    }

    /** The tenants of the active generation, in order; empty when no generation is active. */
    Stream<String> tenants() throws IOException {
        Optional<Long> generation = generations.pinActive();
        if (generation.isEmpty()) {
            return Stream.empty();
        }
        long g = generation.get();
        Pages<String> pages = new Pages<>(g, "tenants", after -> readPage(g,
                "SELECT DISTINCT tenant FROM " + tables.generation(g)
                        + (after == null ? "" : " WHERE tenant > ?") + " ORDER BY tenant LIMIT " + Transactions.PAGE,
                after == null ? List.of() : List.of(after), rs -> rs.getString(1)), Function.identity());
        return pages.stream();
    }

    /** The records of {@code tenant} in the active generation, by id; empty when no generation is active. */
    Stream<InventoryEntry> inventory(String tenant) throws IOException {
        Optional<Long> generation = generations.pinActive();
        if (generation.isEmpty()) {
            return Stream.empty();
        }
        long g = generation.get();
        Pages<InventoryEntry> pages = new Pages<>(g, "inventory of " + tenant, after -> readPage(g,
                "SELECT id, content_hash, model_fingerprint FROM " + tables.generation(g) + " WHERE tenant = ?"
                        + (after == null ? "" : " AND id > ?") + " ORDER BY id LIMIT " + Transactions.PAGE,
                after == null ? List.of(tenant) : List.of(tenant, after),
                rs -> new InventoryEntry(rs.getString(1), rs.getString(2), rs.getString(3))), InventoryEntry::id);
        return pages.stream();
    }

    private interface RowReader<T> {
        T read(ResultSet rs) throws SQLException;
    }

    private interface PageReader<T> {
        List<T> read(String after) throws IOException;
    }

    private <T> List<T> readPage(long generation, String sql, List<String> params, RowReader<T> reader)
            throws IOException {
        try (Connection c = tx.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.size(); i++) {
                ps.setString(i + 1, params.get(i));
            }
            List<T> page = new ArrayList<>(Transactions.PAGE);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    page.add(reader.read(rs));
                }
            }
            return page;
        } catch (SQLException e) {
            if (dialect.isMissingTable(e)) {
                throw new StoreException(location + ": generation " + generation
                        + " was dropped by another process while it was being read", e);
            }
            throw new StoreException(location + ": read generation " + generation + ": " + e.getMessage(), e);
        }
    }

    /**
     * A stream read in key-ordered pages ({@code WHERE key > last ORDER BY key LIMIT n}), so that it holds
     * no connection or transaction between pages (a pool stays free, and the PGlite test server, which runs
     * one transaction at a time, is not blocked). Its generation is pinned until it closes, so this store
     * does not drop the table under it.
     */
    private final class Pages<T> implements Iterator<T> {
        private final long generation;
        private final String what;
        private final PageReader<T> reader;
        private final Function<T, String> key;
        private Iterator<T> page = List.<T>of().iterator();
        private String after;
        private boolean last;
        private boolean unpinned;

        Pages(long generation, String what, PageReader<T> reader, Function<T, String> key) {
            this.generation = generation;
            this.what = what;
            this.reader = reader;
            this.key = key;
        }

        Stream<T> stream() {
            return StreamSupport.stream(Spliterators.spliteratorUnknownSize(this,
                    Spliterator.ORDERED | Spliterator.NONNULL | Spliterator.DISTINCT), false).onClose(this::close);
        }

        @Override
        public boolean hasNext() {
            while (!page.hasNext() && !last) {
                List<T> next;
                try {
                    next = reader.read(after);
                } catch (IOException e) {
                    throw new UncheckedIOException(location + ": " + what, e);
                }
                last = next.size() < Transactions.PAGE;
                if (!next.isEmpty()) {
                    after = key.apply(next.get(next.size() - 1));
                }
                page = next.iterator();
            }
            return page.hasNext();
        }

        @Override
        public T next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return page.next();
        }

        void close() {
            if (!unpinned) {
                unpinned = true;
                generations.unpin(generation);
            }
        }
    }
}
