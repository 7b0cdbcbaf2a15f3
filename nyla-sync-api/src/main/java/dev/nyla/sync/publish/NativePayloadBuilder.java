package dev.nyla.sync.publish;

import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.store.Payload;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Builds one store-native payload, from {@link NativePayloadFormat#begin}. Built from scratch it takes every
 * record of the version; built on a base it takes the changes: {@link #add} for records added or changed,
 * {@link #delete} for records gone. Keys come in strictly ascending {@link dev.nyla.sync.RecordKeys} order,
 * each at most once. Used by one thread; closing an unfinished builder removes what it wrote.
 */
public interface NativePayloadBuilder extends Closeable {

    /** Adds a record, replacing one with the same key from the base. */
    void add(VectorRecord record) throws IOException;

    /** Removes a record of the base; a missing key is ignored. */
    void delete(String tenant, String id) throws IOException;

    /**
     * Writes the payload's files into {@code out} under content-addressed names and describes them. Each
     * file is stored uncompressed ({@link dev.nyla.sync.store.Compression#NONE}) and carries its SHA-256
     * in its name; the publisher checks every file against its description before signing it. {@code out}
     * may be the base's directory (publishing into the previous version's directory): an unchanged file is
     * then already there under its name.
     *
     * @return the payload, its kind {@link NativePayloadFormat#kind()}
     */
    Payload finish(Path out) throws IOException;

    /** Removes work files; does not remove what {@link #finish} wrote. */
    @Override
    void close() throws IOException;
}
