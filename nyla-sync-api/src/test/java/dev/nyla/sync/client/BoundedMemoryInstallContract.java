package dev.nyla.sync.client;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.Similarity;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.internal.DurableFiles;
import dev.nyla.sync.publish.NativePayloadFormat;
import dev.nyla.sync.publish.Publisher;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * A store installs more records than its JVM's heap could hold at once, by the records' routes: a full install
 * and a delta (applied on a copy of the previous generation). Each install runs in a child JVM whose heap is
 * capped at {@link #maxHeap()} (serial collector, so that nothing else uses the memory) and must end with
 * every record installed, not with an {@link OutOfMemoryError}: what the store and the client hold grows with
 * the batch, not with the store. In the same heap the child then lists the store's inventory and searches for
 * a few records' own vectors (an edited one among them after the delta), which it must find. The project's
 * promise is a million 384-float records with {@code -Xmx256m} (measured by the benchmarks'
 * {@code MillionRecordsBenchmark}, through the same child program); an adapter's test scales it down (fewer
 * records, a smaller heap) to run in a minute or two. An adapter's test class extends this and says how to
 * open its store.
 *
 * <p>The releases are published once per class, by this JVM, under {@code target/}: {@code /tmp} may be a
 * small RAM disk. Shipped in the API's test-jar.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class BoundedMemoryInstallContract {
    /** The share of records that version 2 edits; a tenth of those are deleted instead. */
    private static final int EDIT_EVERY = 100;
    /** Records searched for by their own vectors after the installs, spread over the keys. */
    private static final int PROBES = 4;

    protected final KeyPair keys = SigningKeys.generate();
    protected Path dir;
    private Path publicKey;
    private EmbeddingModel model;
    private List<VectorRecord> v1;

    /** The store's location for {@code dev.nyla.sync.store.VectorStores#open}, keeping its data in {@code directory}. */
    protected abstract String storeLocation(Path directory);

    /** The records of version 1. */
    protected abstract int records();

    /** The vectors' dimension. */
    protected abstract int dimension();

    /** The child JVM's heap, as {@code -Xmx} takes it ({@code 48m}). */
    protected abstract String maxHeap();

    @BeforeAll
    void publishTwoVersions() throws IOException {
        dir = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "bounded-install-");
        publicKey = SigningKeys.write(keys, dir.resolve("publisher")).resolveSibling("publisher.pub");
        model = new EmbeddingModel("bounded", dimension(), Similarity.COSINE, true, "bounded-fingerprint");
        v1 = records(records(), 1);
        Publisher publisher = Publisher.builder().signingKey(keys).build();
        publisher.publishRecords(v1, model, dir.resolve("v1"));
        publisher.publishRecords(version2(), model, dir.resolve("v2"), dir.resolve("v1"));
    }

    @AfterAll
    void removeFiles() throws IOException {
        DurableFiles.deleteRecursively(dir);
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void aFullInstallFromRecordsFitsASmallHeap() throws IOException, InterruptedException {
        String output = installInChild("full", version1(), dir.resolve("v1"));
        assertTrue(output.contains("site=v1 outcome=INSTALLED route=FULL_COMPRESSED records=" + records() + " "),
                output);
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void aDeltaInstallFitsASmallHeap() throws IOException, InterruptedException {
        String output = installInChild("delta", version2(), dir.resolve("v1"), dir.resolve("v2"));
        assertTrue(output.contains("site=v1 outcome=INSTALLED route=FULL_COMPRESSED records=" + records() + " "),
                output);
        assertTrue(output.contains("site=v2 outcome=INSTALLED route=DELTA records=" + version2().size() + " "),
                output);
    }

    /** Publishes version 1 with {@code format}'s store-native payload beside the records into {@code site}. */
    protected void publishNative(NativePayloadFormat format, Path site) throws IOException {
        Publisher.builder().signingKey(keys).nativePayload(format).build().publishRecords(v1, model, site);
    }

    /**
     * Syncs a new store, in {@code dir/name}, from each of {@code sites} in turn in a child JVM with the small
     * heap; requires the child to exit normally, its inventory to list every record of {@code installed} (the
     * version the last site holds) and its searches to find a few of them by their own vectors, and returns
     * what it printed.
     */
    protected String installInChild(String name, List<VectorRecord> installed, Path... sites)
            throws IOException, InterruptedException {
        Path work = Files.createDirectories(dir.resolve(name));
        Path log = work.resolve("child.log");
        Path probes = work.resolve("probes.bin");
        List<VectorRecord> probed = probes(installed);
        BoundedMemoryInstallMain.writeProbes(probes, probed);
        List<String> args = new ArrayList<>(List.of("--probes", probes.toString(),
                storeLocation(work.resolve("store")), publicKey.toString(), work.resolve("state").toString()));
        for (Path site : sites) {
            args.add(site.toString());
        }
        List<String> command = BoundedMemoryInstallMain.childCommand(maxHeap(), List.of(),
                BoundedMemoryInstallMain.class.getName(), args);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(9, TimeUnit.MINUTES)) {
            p.destroyForcibly().waitFor();
            fail("child JVM did not finish in 9 minutes: " + Files.readString(log));
        }
        String output = Files.readString(log);
        assertEquals(0, p.exitValue(), "child JVM (-Xmx" + maxHeap() + ") output:\n" + output);
        assertTrue(output.contains("maxHeap="), output);
        assertTrue(output.contains("inventory=" + installed.size() + "\n"), output);
        assertTrue(output.contains("probes=" + probed.size() + " found=" + probed.size() + " "), output);
        return output;
    }

    /** {@value #PROBES} records of {@code version} spread over its keys, and its first edited record if any. */
    private static List<VectorRecord> probes(List<VectorRecord> version) {
        List<VectorRecord> out = new ArrayList<>();
        for (int i = 0; i < PROBES; i++) {
            out.add(version.get((int) ((long) version.size() * i / PROBES)));
        }
        version.stream().filter(r -> r.text().startsWith("edited ")).findFirst().ifPresent(out::add);
        return out;
    }

    /** The records of version 1. */
    protected List<VectorRecord> version1() {
        return v1;
    }

    /** The records of version 1, or, for {@code version} 2, as {@link #version2()} edits them. */
    private List<VectorRecord> records(int count, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<VectorRecord> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(record(i, "text of record " + i, random));
        }
        return out;
    }

    /** Every {@value #EDIT_EVERY}th record of version 1 edited, every tenth of those deleted instead. */
    protected List<VectorRecord> version2() {
        SplittableRandom random = new SplittableRandom(2);
        List<VectorRecord> out = new ArrayList<>(v1.size());
        for (int i = 0; i < v1.size(); i++) {
            if (i % EDIT_EVERY != 0) {
                out.add(v1.get(i));
            } else if (i % (EDIT_EVERY * 10) != 0) {
                out.add(record(i, "edited text of record " + i, random));
            }
        }
        return out;
    }

    private VectorRecord record(int i, String text, SplittableRandom random) {
        float[] v = new float[dimension()];
        double norm = 0;
        for (int d = 0; d < v.length; d++) {
            v[d] = (float) random.nextDouble(-1, 1);
            norm += v[d] * v[d];
        }
        for (int d = 0; d < v.length; d++) {
            v[d] /= (float) Math.sqrt(norm);
        }
        return VectorRecord.of(VectorRecord.DEFAULT_TENANT, String.format("doc-%08d", i), text, Map.of(), model, v);
    }
}
