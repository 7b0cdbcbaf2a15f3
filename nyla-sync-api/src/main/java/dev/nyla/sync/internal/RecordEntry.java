package dev.nyla.sync.internal;

import dev.nyla.sync.RecordKeys;
import dev.nyla.sync.VectorRecord;
import java.util.Objects;

/** One entry of a record file: a record to add or replace, or the key of a record to remove. */
public sealed interface RecordEntry {

    /** The entry's tenant. */
    String tenant();

    /** The entry's id. */
    String id();

    /** Add or replace {@code record}. */
    record Upsert(VectorRecord record) implements RecordEntry {
        public Upsert {
            Objects.requireNonNull(record, "record");
        }

        @Override
        public String tenant() {
            return record.tenant();
        }

        @Override
        public String id() {
            return record.id();
        }
    }

    /** Remove the record with key (tenant, id). */
    record Delete(String tenant, String id) implements RecordEntry {
        public Delete {
            RecordKeys.requireValid(tenant, id);
        }
    }
}
