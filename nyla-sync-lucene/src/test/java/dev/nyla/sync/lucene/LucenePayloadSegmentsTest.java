package dev.nyla.sync.lucene;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.RecordKeys;
import dev.nyla.sync.Similarity;
import dev.nyla.sync.TestData;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.internal.DurableFiles;
import dev.nyla.sync.nativepayload.NativeInstall;
import dev.nyla.sync.publish.NativePayloadBuilder;
import dev.nyla.sync.publish.NativePayloadFormat;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.GenerationSpec;
import dev.nyla.sync.store.InventoryEntry;
import dev.nyla.sync.store.Payload;
import dev.nyla.sync.store.PayloadFile;
import dev.nyla.sync.store.SearchRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.lucene.index.SegmentCommitInfo;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Lucene payload over many versions with churn: its segments and deleted documents stay within the
 * {@link SegmentPolicy}, the same changes give the same segments, clients follow it across merges by
 * downloading only the new files, and a compacted version is one segment without deletions.
 */
class LucenePayloadSegmentsTest {
    private static final int DIM = 16;
    private static final EmbeddingModel MODEL = TestData.model(DIM, Similarity.COSINE);
    /** Small tiers and bounds, so that a few small versions go through every kind of merge. */
    private static final SegmentPolicy POLICY = new SegmentPolicy(4, 10, 6);
    private static final int RECORDS = 600;
    /** Records changed a version: 3 %. */
    private static final int CHANGES = 18;

    @TempDir
    Path tmp;

    /** One segment of a payload: its documents and how many of them are deleted. */
    record SegmentShape(int docs, int deleted) {
    }

    /**
     * A publisher's site: the records of the current version and its Lucene payload, each version built on
     * the previous one's files in the same directory, with changes drawn from a seeded random.
     */
    private final class Site {
        final Path host;
        final LucenePayloadFormat format;
        final TreeMap<String, VectorRecord> records = new TreeMap<>();
        final Random random;
        Payload payload;
        int nextId;

        Site(String name, long seed) throws IOException {
            host = Files.createDirectories(tmp.resolve(name));
            format = new LucenePayloadFormat(LuceneOptions.DEFAULTS, POLICY, tmp.resolve(name + "-work"));
            random = new Random(seed);
            List<float[]> vectors = ClusteredVectors.vectors(RECORDS, DIM, 10, 0.3, seed);
            for (VectorRecord r : ClusteredVectors.records(MODEL, vectors, 3)) {
                records.put(key(r.tenant(), r.id()), r);
            }
            nextId = RECORDS;
            try (NativePayloadBuilder b = format.begin(MODEL, Optional.empty())) {
                for (VectorRecord r : records.values()) {
                    b.add(r);
                }
                payload = b.finish(host);
            }
        }

        /** The next version: half the changes edit a record, a quarter delete one, a quarter add one. */
        Payload next(boolean compact) throws IOException {
            TreeMap<String, VectorRecord> adds = new TreeMap<>();
            TreeMap<String, String[]> deletes = new TreeMap<>();
            List<String> keys = new ArrayList<>(records.keySet());
            List<float[]> fresh = ClusteredVectors.vectors(CHANGES, DIM, 10, 0.3, random.nextLong());
            for (int i = 0; i < CHANGES; i++) {
                if (i < CHANGES / 2 || i >= CHANGES * 3 / 4) {
                    VectorRecord r = i < CHANGES / 2 ? records.get(keys.get(random.nextInt(keys.size()))) : null;
                    String tenant = r == null ? "t" + random.nextInt(3) : r.tenant();
                    String id = r == null ? String.format("doc-%07d", nextId++) : r.id();
                    adds.put(key(tenant, id), VectorRecord.of(tenant, id, "text " + i + " of " + id, Map.of(), MODEL,
                            fresh.get(i)));
                } else {
                    String key = keys.get(random.nextInt(keys.size()));
                    if (!adds.containsKey(key)) {
                        VectorRecord r = records.get(key);
                        deletes.put(key, new String[] {r.tenant(), r.id()});
                    }
                }
            }
            try (NativePayloadBuilder b = format.begin(MODEL, Optional.of(new NativePayloadFormat.Base(payload, host,
                    compact)))) {
                TreeMap<String, Object> ops = new TreeMap<>(adds);
                ops.putAll(deletes);
                for (Object op : ops.values()) {
                    if (op instanceof VectorRecord r) {
                        b.add(r);
                    } else {
                        b.delete(((String[]) op)[0], ((String[]) op)[1]);
                    }
                }
                payload = b.finish(host);
            }
            records.putAll(adds);
            deletes.keySet().forEach(records::remove);
            return payload;
        }

        /** The payload's segments, read from its last commit. */
        List<SegmentShape> segments() throws IOException {
            Path index = Files.createDirectories(tmp.resolve("read-" + System.nanoTime()));
            try {
                for (PayloadFile f : payload.files()) {
                    Files.createLink(index.resolve(PayloadNames.indexFileName(f, host.toString())), host.resolve(f.name()));
                }
                try (Directory d = FSDirectory.open(index)) {
                    List<SegmentShape> out = new ArrayList<>();
                    for (SegmentCommitInfo si : SegmentInfos.readLatestCommit(d)) {
                        out.add(new SegmentShape(si.info.maxDoc(), si.getDelCount()));
                    }
                    return out;
                }
            } finally {
                DurableFiles.deleteRecursively(index);
            }
        }

        /** The records of one tenant as its inventory lists them. */
        List<InventoryEntry> inventory(String tenant) {
            return records.values().stream().filter(r -> r.tenant().equals(tenant))
                    .map(r -> new InventoryEntry(r.id(), r.contentHash(), MODEL.fingerprint())).toList();
        }
    }

    /** Keys in {@link RecordKeys} order as map keys: tenant, U+0000, id. */
    private static String key(String tenant, String id) {
        return tenant + '\u0000' + id;
    }

    /** What the sync client does: fetch the files the store lacks from the host, put them, commit, activate. */
    private static Set<String> install(LuceneVectorStore store, Site site, long version) throws IOException {
        Set<String> fetched = new java.util.TreeSet<>();
        try (NativeInstall install = store.nativeInstaller()
                .begin(GenerationSpec.of(version, "v" + version, MODEL), site.payload, true)) {
            for (PayloadFile f : install.filesToFetch()) {
                Path download = Files.createTempFile(site.host.getParent(), "download", ".part");
                ClientDownload.copy(site.host.resolve(f.name()), download, install.streamingCheck(f));
                install.put(f, download);
                fetched.add(f.name());
            }
            Generation g = install.commit();
            store.activate(g.id());
        }
        return fetched;
    }

    private static Set<String> names(Payload p) {
        return p.files().stream().map(PayloadFile::name).collect(Collectors.toCollection(java.util.TreeSet::new));
    }

    private static List<InventoryEntry> inventory(LuceneVectorStore store, String tenant) throws IOException {
        try (Stream<InventoryEntry> s = store.inventory(tenant)) {
            return s.toList();
        }
    }

    @Test
    void segmentsAndDeletedDocumentsStayWithinThePolicyOverManyVersions() throws IOException {
        Site site = new Site("host", 1);
        int merges = 0;
        int reclaims = 0;
        List<SegmentShape> before = site.segments();
        for (int v = 2; v <= 24; v++) {
            site.next(false);
            List<SegmentShape> after = site.segments();
            int docs = after.stream().mapToInt(SegmentShape::docs).sum();
            int deleted = after.stream().mapToInt(SegmentShape::deleted).sum();
            assertTrue(after.size() <= POLICY.maxSegments(), "version " + v + ": " + after);
            assertTrue(deleted * 100L <= (long) POLICY.deletesPctAllowed() * docs, "version " + v + ": " + after);
            assertEquals(site.records.size(), docs - deleted, "live documents of version " + v);
            assertEquals(Integer.toString(after.size()), site.payload.attributes().get("lucene.segments"));
            // Without merges a version adds one segment and keeps every deleted document.
            merges += after.size() <= before.size() ? 1 : 0;
            reclaims += deleted < before.stream().mapToInt(SegmentShape::deleted).sum() ? 1 : 0;
            before = after;
        }
        assertTrue(merges >= 5, "versions that merged: " + merges);
        assertTrue(reclaims >= 1, "versions that reclaimed deleted documents: " + reclaims);
    }

    @Test
    void aPolicyOutOfBoundsIsRefusedNamingEverySettingItsRangeAndValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new SegmentPolicy(1, 95, 0));
        assertEquals("Lucene segment policy: segmentsPerTier: expected 2..50 but was 1; deletesPctAllowed: expected "
                + "1..90 but was 95; maxSegments: expected 1..1000 but was 0", e.getMessage());
        assertEquals(new SegmentPolicy(10, 33, 12), SegmentPolicy.DEFAULTS.withDeletesPctAllowed(33));
    }

    @Test
    void theSameChangesGiveTheSameSegments() throws IOException {
        Site a = new Site("a", 2);
        Site b = new Site("b", 2);
        for (int v = 2; v <= 12; v++) {
            a.next(false);
            b.next(false);
            assertEquals(a.segments(), b.segments(), "version " + v);
        }
    }

    @Test
    void aClientFollowsEveryVersionAcrossMergesDownloadingOnlyTheNewFiles() throws IOException {
        Site site = new Site("host", 3);
        int acrossMerges = 0;
        try (LuceneVectorStore store = LuceneVectorStore.open(tmp.resolve("client"))) {
            assertEquals(names(site.payload), install(store, site, 1));
            for (int v = 2; v <= 16; v++) {
                Set<String> held = names(site.payload);
                int segmentsBefore = site.segments().size();
                site.next(false);
                Set<String> expected = names(site.payload);
                expected.removeAll(held);

                assertEquals(expected, install(store, site, v), "version " + v + " fetches the files it adds");
                assertEquals(site.records.size(), store.stats().records());
                for (String tenant : List.of("t0", "t1", "t2")) {
                    assertEquals(site.inventory(tenant), inventory(store, tenant), "version " + v + ", " + tenant);
                }
                acrossMerges += site.segments().size() <= segmentsBefore ? 1 : 0;
            }
            VectorRecord any = site.records.lastEntry().getValue();
            assertEquals(any.id(), store.search(SearchRequest.of(any.tenant(), any.vector(), 1)).get(0).id());
        }
        assertTrue(acrossMerges >= 3, "versions installed across a merge: " + acrossMerges);
    }

    @Test
    void compactingRewritesThePayloadIntoOneSegmentWithoutDeletedDocuments() throws IOException {
        Site site = new Site("host", 4);
        try (LuceneVectorStore store = LuceneVectorStore.open(tmp.resolve("client"))) {
            install(store, site, 1);
            for (int v = 2; v <= 6; v++) {
                site.next(false);
                install(store, site, v);
            }
            assertTrue(site.segments().size() > 1 && site.segments().stream().anyMatch(s -> s.deleted() > 0),
                    "several segments and deleted documents before compacting: " + site.segments());

            site.next(true);
            assertEquals(List.of(new SegmentShape(site.records.size(), 0)), site.segments());
            assertEquals("1", site.payload.attributes().get("lucene.segments"));
            assertEquals(names(site.payload), install(store, site, 7), "a compacted payload shares no file");
            for (String tenant : List.of("t0", "t1", "t2")) {
                assertEquals(site.inventory(tenant), inventory(store, tenant), tenant);
            }
        }
    }
}
