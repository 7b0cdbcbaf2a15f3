package dev.nyla.sync.client;

import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.artifact.DirectoryArtifactSource;
import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.store.InventoryEntry;
import dev.nyla.sync.store.SearchHit;
import dev.nyla.sync.store.SearchRequest;
import dev.nyla.sync.store.VectorStore;
import dev.nyla.sync.store.VectorStores;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Run in a child JVM with a small heap by {@link BoundedMemoryInstallContract} and by the benchmarks'
 * {@code MillionRecordsBenchmark}: {@code [--probes FILE] STORE KEY STATE SITE...} opens the store at
 * {@code STORE}, then syncs it from each {@code SITE} in turn (one {@link NylaSync} per site, sharing the
 * store and the client state in {@code STATE}), trusting the public key in {@code KEY}. It prints one line per
 * site with the outcome, the route, the store's record count and the seconds the sync took; then the records
 * the store's inventory lists (read from the store, not the generation's own count); with {@code --probes},
 * the rank at which a search for each probe record's vector finds that record ({@link #writeProbes}); and the
 * heap's size. Everything after the installs runs in the same small heap: reading the store back is part of
 * what must fit.
 */
public final class BoundedMemoryInstallMain {
    /** How many hits a probe's search asks for: an approximate index may rank a record's own vector below 1. */
    static final int PROBE_K = 10;

    private BoundedMemoryInstallMain() {
    }

    public static void main(String[] args) throws Exception {
        int first = 0;
        Path probes = null;
        if (args.length > 1 && args[0].equals("--probes")) {
            probes = Path.of(args[1]);
            first = 2;
        }
        if (args.length < first + 4) {
            throw new IllegalArgumentException("usage: [--probes FILE] STORE KEY STATE SITE... but got "
                    + List.of(args));
        }
        PublicKey key = SigningKeys.readPublicKey(Path.of(args[first + 1]));
        try (VectorStore store = VectorStores.open(args[first])) {
            for (int i = first + 3; i < args.length; i++) {
                long started = System.nanoTime();
                try (NylaSync sync = NylaSync.builder().source(new DirectoryArtifactSource(Path.of(args[i])))
                        .store(store).stateDirectory(Path.of(args[first + 2])).publicKey(key).acceptAnyModel()
                        .build()) {
                    SyncResult r = sync.checkNow();
                    System.out.printf(Locale.ROOT, "site=%s outcome=%s route=%s records=%d seconds=%.3f%n",
                            Path.of(args[i]).getFileName(), r.outcome(), r.route().map(Enum::name).orElse("none"),
                            store.activeGeneration().map(g -> g.recordCount()).orElse(-1L),
                            (System.nanoTime() - started) / 1e9);
                    if (r.outcome() != SyncResult.Outcome.INSTALLED) {
                        System.out.println("steps: " + r.steps());
                    }
                }
            }
            System.out.printf("inventory=%d%n", inventoryCount(store));
            if (probes != null) {
                probe(store, readProbes(probes));
            }
        }
        System.out.printf("maxHeap=%d%n", Runtime.getRuntime().maxMemory());
    }

    /**
     * The command that runs {@code mainClass} with {@code args} in a child JVM of this JVM's Java and class
     * path, its heap capped at {@code maxHeap} ({@code -Xmx} syntax: {@code 48m}), with the serial collector
     * (so that no collector threads' structures use the memory) and Lucene's vector module, plus
     * {@code jvmOptions}.
     */
    public static List<String> childCommand(String maxHeap, List<String> jvmOptions, String mainClass,
                                            List<String> args) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-Xmx" + maxHeap, "-XX:+UseSerialGC", "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(args);
        return command;
    }

    /**
     * Writes {@code records}' keys and vectors for {@code --probes}: each must be found by a search for its
     * own vector in the store the child installs. Binary (count, then tenant, id, dimension and floats per
     * record), so that the vectors come back bit for bit.
     */
    public static void writeProbes(Path file, List<VectorRecord> records) throws IOException {
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file)))) {
            out.writeInt(records.size());
            for (VectorRecord r : records) {
                out.writeUTF(r.tenant());
                out.writeUTF(r.id());
                out.writeInt(r.vector().length);
                for (float f : r.vector()) {
                    out.writeFloat(f);
                }
            }
        }
    }

    private record Probe(String tenant, String id, float[] vector) {
    }

    private static List<Probe> readProbes(Path file) throws IOException {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            int count = in.readInt();
            List<Probe> out = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                String tenant = in.readUTF();
                String id = in.readUTF();
                float[] v = new float[in.readInt()];
                for (int d = 0; d < v.length; d++) {
                    v[d] = in.readFloat();
                }
                out.add(new Probe(tenant, id, v));
            }
            return out;
        }
    }

    /** The records of every tenant's inventory, streamed from the store. */
    private static long inventoryCount(VectorStore store) throws IOException {
        long count = 0;
        try (Stream<String> tenants = store.tenants()) {
            for (Iterator<String> t = tenants.iterator(); t.hasNext(); ) {
                try (Stream<InventoryEntry> entries = store.inventory(t.next())) {
                    count += entries.count();
                }
            }
        }
        return count;
    }

    /** Prints each probe's rank among the hits for its own vector (0: not among them), then a summary line. */
    private static void probe(VectorStore store, List<Probe> probes) throws IOException {
        int found = 0;
        int first = 0;
        for (Probe p : probes) {
            List<SearchHit> hits = store.search(SearchRequest.of(p.tenant(), p.vector(), PROBE_K));
            int rank = 0;
            for (int i = 0; i < hits.size() && rank == 0; i++) {
                if (hits.get(i).id().equals(p.id())) {
                    rank = i + 1;
                }
            }
            System.out.printf("probe id=%s rank=%d%n", p.id(), rank);
            found += rank > 0 ? 1 : 0;
            first += rank == 1 ? 1 : 0;
        }
        System.out.printf("probes=%d found=%d first=%d%n", probes.size(), found, first);
    }
}
