package dev.nyla.sync.lucene;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.client.BoundedMemoryInstallContract;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Lucene installs more records than the HNSW graph of one segment holding them all would fit in the child
 * JVM's heap, from the records (fully and by a delta) and prebuilt (route {@code NATIVE_FULL}). Vectors of
 * 16 floats and a narrow beam keep the graphs' builds short: a graph's memory per node depends on neither.
 * The count can be changed for a local run with {@code -Dnyla.boundedMemory.records=N}.
 */
class LuceneBoundedMemoryInstallTest extends BoundedMemoryInstallContract {
    /** A narrow beam builds the graphs several times faster; their memory depends on {@code maxConn} only. */
    private static final LuceneOptions BUILD = LuceneOptions.DEFAULTS.withHnsw(16, 16);

    @Override
    protected String storeLocation(Path directory) {
        return "lucene:" + directory.toAbsolutePath() + "?beamWidth=" + BUILD.beamWidth();
    }

    @Override
    protected int records() {
        return Integer.getInteger("nyla.boundedMemory.records", 200_000);
    }

    @Override
    protected int dimension() {
        return 16;
    }

    @Override
    protected String maxHeap() {
        return "48m";
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void aPrebuiltInstallFitsASmallHeap() throws IOException, InterruptedException {
        Path site = dir.resolve("native");
        publishNative(new LucenePayloadFormat(BUILD, Files.createDirectories(dir.resolve("native-work"))),
                site);
        String output = installInChild("prebuilt", version1(), site);
        assertTrue(output.contains("site=native outcome=INSTALLED route=NATIVE_FULL records=" + records() + " "),
                output);
    }
}
