package dev.nyla.sync.publish;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.Similarity;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.artifact.internal.Artifacts;
import dev.nyla.sync.store.Compression;
import dev.nyla.sync.artifact.Delta;
import dev.nyla.sync.artifact.DirectoryArtifactSource;
import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.store.PayloadFile;
import dev.nyla.sync.internal.RecordEntry;
import dev.nyla.sync.internal.RecordFileReader;
import dev.nyla.sync.artifact.SigningKeys;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The deltas a version carries from the versions before it: which ones, and that each is exact. */
class DeltaWindowTest {
    private static final KeyPair KEYS = SigningKeys.generate();
    private static final EmbeddingModel MODEL = new EmbeddingModel("model a", 16, Similarity.COSINE, true, "fp-a");
    private static final EmbeddingModel OTHER = new EmbeddingModel("model b", 16, Similarity.COSINE, true, "fp-b");

    @TempDir
    Path site;
    private final Random random = new Random(11);

    private Publisher publisher(int window) {
        return Publisher.builder().signingKey(KEYS).deltaWindow(window).build();
    }

    private float[] vector() {
        float[] v = new float[MODEL.dimension()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return v;
    }

    private VectorRecord record(String id, String text, Map<String, String> metadata, EmbeddingModel model) {
        return VectorRecord.of("default", id, text, metadata, model, vector());
    }

    /** Version 1: 30 records, keyed r-00 … r-29. */
    private Map<String, VectorRecord> first() {
        Map<String, VectorRecord> records = new LinkedHashMap<>();
        for (int i = 0; i < 30; i++) {
            String id = String.format("r-%02d", i);
            records.put(id, record(id, "text " + i, Map.of("n", "" + i), MODEL));
        }
        return records;
    }

    private PublishResult publish(Publisher p, Map<String, VectorRecord> records, EmbeddingModel model) throws IOException {
        List<VectorRecord> list = List.copyOf(records.values());
        return Files.exists(site.resolve(Manifest.FILE_NAME)) ? p.publishRecords(list, model, site, site)
                : p.publishRecords(list, model, site);
    }

    private static Manifest version(Path site, long v) throws IOException {
        return new SiteHistory(site).read(v, List.of(KEYS.getPublic())).orElseThrow();
    }

    private static List<VectorRecord> full(Path site, Manifest m) throws IOException {
        List<VectorRecord> out = new ArrayList<>();
        for (RecordEntry e : entries(site, m.payload().files().get(0), m)) {
            out.add(((RecordEntry.Upsert) e).record());
        }
        return out;
    }

    private static List<RecordEntry> entries(Path site, PayloadFile file, Manifest m) throws IOException {
        List<RecordEntry> out = new ArrayList<>();
        try (RecordFileReader r = Artifacts.openRecordFile(new DirectoryArtifactSource(site), file, m.model().dimension(),
                m.vectorEncoding())) {
            for (Optional<RecordEntry> e; (e = r.next()).isPresent(); ) {
                out.add(e.get());
            }
        }
        return out;
    }

    /** {@code base} with the delta applied, as a store applies it. */
    private static List<VectorRecord> apply(List<VectorRecord> base, List<RecordEntry> delta) {
        TreeMap<String, VectorRecord> records = new TreeMap<>();
        base.forEach(r -> records.put(r.tenant() + "/" + r.id(), r));
        for (RecordEntry e : delta) {
            switch (e) {
                case RecordEntry.Upsert u -> records.put(e.tenant() + "/" + e.id(), u.record());
                case RecordEntry.Delete d -> assertNotNull(records.remove(e.tenant() + "/" + e.id()), "deleted " + e.id());
            }
        }
        return List.copyOf(records.values());
    }

    private static List<Long> fromVersions(Manifest m) {
        return m.deltas().stream().map(Delta::fromVersion).toList();
    }

    @Test
    void eachDeltaOfTheWindowTurnsItsVersionIntoExactlyTheNewOne() throws IOException {
        Publisher p = publisher(10);
        Map<String, VectorRecord> v1 = first();
        publish(p, v1, MODEL);
        Map<String, VectorRecord> v2 = new LinkedHashMap<>(v1);
        v2.put("r-03", record("r-03", "text 3, edited", Map.of("n", "3"), MODEL));            // updated
        v2.remove("r-05");                                                                     // deleted
        v2.put("r-30", record("r-30", "text 30", Map.of(), MODEL));                            // added
        publish(p, v2, MODEL);
        Map<String, VectorRecord> v3 = new LinkedHashMap<>(v2);
        // Back to version 1's text, re-embedded to another vector: from version 1, a change of the vector only.
        v3.put("r-03", v1.get("r-03").withVector(vector()));
        v3.put("r-07", record("r-07", "text 7", Map.of("n", "seven"), MODEL));                 // metadata only
        v3.remove("r-10");
        publish(p, v3, MODEL);
        Map<String, VectorRecord> v4 = new LinkedHashMap<>(v3);
        v4.put("r-05", v1.get("r-05"));                                                        // back as it was
        PublishResult r4 = publish(p, v4, MODEL);

        Manifest m4 = r4.manifest();
        assertEquals(List.of(3L, 2L, 1L), fromVersions(m4), "newest first");
        List<VectorRecord> expected = full(site, m4);
        for (Delta d : m4.deltas()) {
            assertEquals(1, d.files().size(), "gzip only: " + d.files());
            PayloadFile file = d.files().get(0);
            assertEquals(Compression.GZIP, file.compression());
            assertTrue(file.name().startsWith("delta-" + d.fromVersion() + "-" + file.sha256()), file.name());
            List<VectorRecord> base = full(site, version(site, d.fromVersion()));
            List<RecordEntry> entries = entries(site, file, m4);
            assertEquals(expected, apply(base, entries), "delta from " + d.fromVersion());
            // Nothing more than the difference: every upsert differs from the base, every delete is gone.
            long upserts = expected.stream().filter(r -> !base.contains(r)).count();
            long deletes = base.stream().filter(b -> expected.stream().noneMatch(r -> r.id().equals(b.id()))).count();
            assertEquals(upserts, d.upserts(), "upserts from " + d.fromVersion());
            assertEquals(deletes, d.deletes(), "deletes from " + d.fromVersion());
        }
        List<String> fromFirst = entries(site, m4.deltaFrom(1).orElseThrow().files().get(0), m4).stream()
                .map(e -> (e instanceof RecordEntry.Delete ? "-" : "+") + e.id()).toList();
        assertEquals(List.of("+r-03", "+r-07", "-r-10", "+r-30"), fromFirst);
        assertEquals(Artifacts.preferredEncoding(m4.deltaFrom(3).orElseThrow().files()).size(), r4.deltaBytes());
    }

    @Test
    void theWindowSaysHowManyVersionsBackDeltasReach() throws IOException {
        Map<String, VectorRecord> records = first();
        for (int v = 1; v <= 4; v++) {
            records.put("r-0" + v, record("r-0" + v, "edited in " + v, Map.of(), MODEL));
            publish(publisher(2), records, MODEL);
        }
        assertEquals(List.of(3L, 2L), fromVersions(version(site, 4)));

        records.put("r-09", record("r-09", "edited in 5", Map.of(), MODEL));
        PublishResult none = publish(publisher(0), records, MODEL);
        assertEquals(List.of(), none.manifest().deltas());
        assertEquals(0, none.deltaBytes());
        try (Stream<Path> files = Files.list(site)) {
            assertEquals(5, files.filter(f -> f.getFileName().toString().startsWith("delta-")).count(),
                    "only versions 2 to 4 wrote deltas, 1 + 2 + 2");
        }

        for (int bad : new int[] {-1, Publisher.MAX_DELTA_WINDOW + 1}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Publisher.builder().deltaWindow(bad));
            assertEquals("deltaWindow: expected 0..100 versions but was " + bad, e.getMessage());
        }
    }

    @Test
    void aVersionOfAnotherModelIsSkippedAndAnOlderOneOfTheSameModelServes() throws IOException {
        Publisher p = publisher(10);
        Map<String, VectorRecord> v1 = first();
        publish(p, v1, MODEL);
        Map<String, VectorRecord> v2 = new LinkedHashMap<>();
        v1.values().forEach(r -> v2.put(r.id(), record(r.id(), r.text(), r.metadata(), OTHER)));
        publish(p, v2, OTHER);
        // Back to the first model: the records are version 1's, but for one.
        Map<String, VectorRecord> v3 = new LinkedHashMap<>(v1);
        v3.put("r-00", record("r-00", "text 0, edited", Map.of(), MODEL));
        Manifest m3 = publish(p, v3, MODEL).manifest();

        assertEquals(List.of(1L), fromVersions(m3), "version 2's records are of another model");
        Delta d = m3.deltaFrom(1).orElseThrow();
        assertEquals(1, d.upserts());
        assertEquals(0, d.deletes());
        assertEquals(full(site, m3), apply(full(site, version(site, 1)), entries(site, d.files().get(0), m3)));
    }

    @Test
    void versionsPrunedDamagedOrMissingFromTheHistoryAreSkippedAndThePublicationGoesOn() throws IOException {
        Publisher p = publisher(10);
        Map<String, VectorRecord> records = first();
        for (int v = 1; v <= 4; v++) {
            records.put("r-0" + v, record("r-0" + v, "edited in " + v, Map.of(), MODEL));
            publish(p, records, MODEL);
        }
        for (PayloadFile f : version(site, 1).payload().files()) {
            Files.delete(site.resolve(f.name()));                                               // pruned
        }
        PayloadFile plain2 = version(site, 2).payload().files().stream()
                .filter(f -> f.compression() == Compression.NONE).findFirst().orElseThrow();
        byte[] bytes = Files.readAllBytes(site.resolve(plain2.name()));
        bytes[bytes.length / 2] ^= 0x01;                                                        // damaged, same size
        Files.write(site.resolve(plain2.name()), bytes);
        new SiteHistory(site).remove(3);                                                        // not in the history

        records.put("r-09", record("r-09", "edited in 5", Map.of(), MODEL));
        Manifest m5 = publish(p, records, MODEL).manifest();
        assertEquals(5, m5.version());
        assertEquals(List.of(4L), fromVersions(m5));
        assertEquals(full(site, m5), apply(full(site, version(site, 4)),
                entries(site, m5.deltaFrom(4).orElseThrow().files().get(0), m5)));
        try (Stream<Path> files = Files.list(site)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".tmp")), "no temporary files left");
        }
    }
}
