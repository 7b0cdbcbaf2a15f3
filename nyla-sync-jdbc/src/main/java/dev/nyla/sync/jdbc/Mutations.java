package dev.nyla.sync.jdbc;

import dev.nyla.sync.DimensionMismatchException;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.StoreException;
import dev.nyla.sync.store.WriteResult;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Mutable mode: upserts and deletes applied to the active generation's table in one write transaction each,
 * with every count checked (exact even when a driver does not report per-row counts).
 */
final class Mutations extends StorePart {
    Mutations(Transactions tx, Generations generations, Dialect dialect, JdbcOptions options, String location) {
        super(tx, generations, dialect, options, location);
    }

    /** Inserts or replaces {@code records} in the active generation, in one transaction. */
    WriteResult upsert(List<VectorRecord> records) throws IOException {
        for (VectorRecord r : records) {
            dialect.requireStorable(r);
        }
        return tx.write("upsert " + records.size() + " records", c -> {
            Generation g = generations.requireActive(c, "upsert into");
            for (VectorRecord r : records) {
                if (r.vector().length != g.model().dimension()) {
                    throw new DimensionMismatchException("record " + r.tenant() + "/" + r.id(), g.model().dimension(),
                            r.vector().length);
                }
            }
            // The last record of a key wins; counts follow the list's order, as if applied one by one.
            Map<List<String>, VectorRecord> byKey = new LinkedHashMap<>();
            records.forEach(r -> byKey.put(List.of(r.tenant(), r.id()), r));
            Set<List<String>> present = existingKeys(c, g.id(), byKey.keySet());
            int inserted = 0;
            int updated = 0;
            for (VectorRecord r : records) {
                if (present.add(List.of(r.tenant(), r.id()))) {
                    inserted++;
                } else {
                    updated++;
                }
            }
            boolean unverified = false;
            try (PreparedStatement ps = c.prepareStatement(dialect.upsertSql(g.id()))) {
                int pending = 0;
                for (VectorRecord r : byKey.values()) {
                    dialect.bindRecord(ps, r, g.model().fingerprint());
                    ps.addBatch();
                    if (++pending == options.batchSize()) {
                        unverified |= executeChecked(ps, 1, "upsert into generation " + g.id());
                        pending = 0;
                    }
                }
                if (pending > 0) {
                    unverified |= executeChecked(ps, 1, "upsert into generation " + g.id());
                }
            }
            if (unverified) {
                int found = existingKeys(c, g.id(), byKey.keySet()).size();
                if (found != byKey.size()) {
                    throw new StoreException(location + ": upsert into generation " + g.id(), "records present after",
                            byKey.size(), found);
                }
            }
            return WriteResult.upserted(inserted, updated);
        });
    }

    /** Deletes the records of {@code tenant} with {@code ids} from the active generation, in one transaction. */
    WriteResult delete(String tenant, Collection<String> ids) throws IOException {
        List<String> distinct = List.copyOf(new LinkedHashSet<>(ids));
        return tx.write("delete " + distinct.size() + " records of tenant " + tenant, c -> {
            Generation g = generations.requireActive(c, "delete from");
            // Counted before deleting (the store row is locked, so nothing changes in between): exact even when a
            // driver answers SUCCESS_NO_INFO.
            int present = existingKeys(c, g.id(), distinct.stream().map(id -> List.of(tenant, id)).toList()).size();
            int deleted = 0;
            boolean unknown = false;
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + tables.generation(g.id())
                    + " WHERE tenant = ? AND id = ?")) {
                int pending = 0;
                for (int i = 0; i < distinct.size(); i++) {
                    ps.setString(1, tenant);
                    ps.setString(2, distinct.get(i));
                    ps.addBatch();
                    if (++pending == options.batchSize() || i == distinct.size() - 1) {
                        int[] counts = ps.executeBatch();
                        deleted += Batches.requireDeletes(counts, "delete from generation " + g.id());
                        unknown |= Batches.anyUnknown(counts);
                        pending = 0;
                    }
                }
            }
            if (!unknown && deleted != present) {
                throw new StoreException(location + ": delete from generation " + g.id(), "rows deleted", present,
                        deleted);
            }
            return WriteResult.deleted(present, distinct.size() - present);
        });
    }

    /** Executes a batch, requiring {@code expected} rows per statement; true when the driver did not say. */
    private static boolean executeChecked(PreparedStatement ps, int expected, String what) throws SQLException {
        int[] counts = ps.executeBatch();
        Batches.requireEach(counts, expected, what);
        return Batches.anyUnknown(counts);
    }

    private Set<List<String>> existingKeys(Connection c, long generation, Collection<List<String>> keys)
            throws SQLException {
        Map<String, List<String>> idsByTenant = keys.stream().collect(Collectors.groupingBy(k -> k.get(0),
                LinkedHashMap::new, Collectors.mapping(k -> k.get(1), Collectors.toList())));
        Set<List<String>> present = new HashSet<>();
        for (Map.Entry<String, List<String>> e : idsByTenant.entrySet()) {
            dialect.selectByIds(c, generation, "id", e.getKey(), e.getValue(),
                    rs -> present.add(List.of(e.getKey(), rs.getString(1))));
        }
        return present;
    }
}
