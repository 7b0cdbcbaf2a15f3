package dev.nyla.sync.jdbc;

import dev.nyla.sync.client.BoundedMemoryInstallContract;
import java.nio.file.Path;

/**
 * SQLite installs 200,000 records of 384 floats (300 MB of vectors) in a JVM with a 48 MiB heap, fully and
 * by a delta: the promise of a million in 256 MiB, scaled down. The count can be changed for a local run with
 * {@code -Dnyla.boundedMemory.records=N}.
 */
class SqliteBoundedMemoryInstallTest extends BoundedMemoryInstallContract {
    @Override
    protected String storeLocation(Path directory) {
        return "jdbc:sqlite:" + directory.toAbsolutePath() + ".db";
    }

    @Override
    protected int records() {
        return Integer.getInteger("nyla.boundedMemory.records", 200_000);
    }

    @Override
    protected int dimension() {
        return 384;
    }

    @Override
    protected String maxHeap() {
        return "48m";
    }
}
