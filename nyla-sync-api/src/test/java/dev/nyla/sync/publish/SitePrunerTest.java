package dev.nyla.sync.publish;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.SourceRecord;
import dev.nyla.sync.ArtifactException;
import dev.nyla.sync.artifact.internal.Artifacts;
import dev.nyla.sync.artifact.BadSignatureException;
import dev.nyla.sync.artifact.DirectoryArtifactSource;
import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.artifact.internal.ManifestEdits;
import dev.nyla.sync.artifact.internal.ManifestSignature;
import dev.nyla.sync.store.PayloadFile;
import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.corpus.Corpus;
import dev.nyla.sync.demo.HashingEmbedder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pruning a site of six versions (records and a store-native payload, published into one directory as CI
 * does): what stays, what goes, what is never touched, and that nothing goes when any manifest is wrong.
 */
class SitePrunerTest {
    private static final KeyPair KEYS = SigningKeys.generate();
    private static final List<PublicKey> TRUSTED = List.of(KEYS.getPublic());
    private static final int VERSIONS = 6;

    @TempDir
    Path site;
    /** Each version's manifest as published, by version. */
    private final Map<Long, Manifest> published = new TreeMap<>();

    @BeforeEach
    void publishSixVersions() throws IOException {
        for (int v = 1; v <= VERSIONS; v++) {
            publish(v, Publisher.builder().signingKey(KEYS));
        }
        // What a site holds beside the publisher's files, and what no manifest ever named: never touched.
        Files.writeString(site.resolve("index.html"), "<h1>kb</h1>");
        Files.writeString(site.resolve(".records-" + "0".repeat(64) + ".nyr.tmp"), "a publication cut short");
        Files.writeString(site.resolve("records-" + "f".repeat(64) + ".nyr"), "named like a payload, named by nobody");
        Files.createDirectories(site.resolve("assets")).resolve("logo.svg").toFile().createNewFile();
        Files.writeString(site.resolve(SiteHistory.DIR).resolve("README"), "kept by hand");
    }

    private void publish(int v, Publisher.Builder builder) throws IOException {
        Publisher p = builder.embedder(new HashingEmbedder(32)).nativePayload(new TenantFilesFormat()).build();
        PublishResult r = v == 1 ? p.publish(Corpus.of(corpus(v)), site) : p.publish(Corpus.of(corpus(v)), site, site);
        published.put(r.manifest().version(), r.manifest());
    }

    /**
     * Version {@code v} revises documents 2..v, one a version, in tenants that take turns, so that a tenant's
     * native file and the full payload are sometimes shared by consecutive versions; version 5 republishes
     * version 4's corpus unchanged (the same full payload and native files, an empty delta).
     */
    private static List<SourceRecord> corpus(int v) {
        int revised = v == 5 ? 4 : v;
        List<SourceRecord> out = new ArrayList<>();
        for (SourceRecord s : PublisherTest.corpus(30)) {
            int i = Integer.parseInt(s.id().substring("doc-".length()));
            out.add(i >= 2 && i <= revised ? new SourceRecord(s.tenant(), s.id(), s.text() + ", revised", s.metadata()) : s);
        }
        return out;
    }

    private static Set<String> names(Manifest m) {
        Set<String> names = new TreeSet<>();
        files(m).forEach(f -> names.add(f.name()));
        return names;
    }

    /** Every payload file {@code m} names: records, store-native parts, deltas. */
    private static List<PayloadFile> files(Manifest m) {
        List<PayloadFile> files = new ArrayList<>(m.payload().files());
        m.nativePayloads().forEach(p -> files.addAll(p.files()));
        m.deltas().forEach(d -> files.addAll(d.files()));
        return files;
    }

    private Set<String> namedBy(Collection<Long> versions) {
        Set<String> names = new TreeSet<>();
        versions.forEach(v -> names.addAll(names(published.get(v))));
        return names;
    }

    /** Every file and directory under the site, with its size: what a prune must leave unchanged or not. */
    private Map<String, Long> tree() throws IOException {
        Map<String, Long> tree = new TreeMap<>();
        try (Stream<Path> all = Files.walk(site)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                tree.put(site.relativize(p).toString(), Files.isDirectory(p) ? -1 : Files.size(p));
            }
        }
        return tree;
    }

    private void assertEveryFileOfVersionsVerifies(Collection<Long> versions) throws IOException {
        DirectoryArtifactSource source = new DirectoryArtifactSource(site);
        for (long v : versions) {
            for (PayloadFile f : files(published.get(v))) {
                Artifacts.verifyFile(source, f);
            }
        }
    }

    @Test
    void keepingThreeDeletesExactlyTheFilesOnlyOlderVersionsNameAndTheirHistory() throws IOException {
        Map<String, Long> before = tree();
        PruneResult r = SitePruner.prune(site, 3, TRUSTED, false);

        assertEquals(List.of(4L, 5L, 6L), r.keptVersions());
        assertEquals(List.of(1L, 2L, 3L), r.removedVersions());
        assertTrue(r.historyFound());
        Set<String> keptNames = namedBy(r.keptVersions());
        Set<String> gone = namedBy(r.removedVersions());
        gone.removeAll(keptNames);
        assertEquals(List.copyOf(gone), r.deletedFiles());
        // The files shared by a removed and a kept version (the acme tenant's native file of versions 3..5) stay.
        assertTrue(namedBy(List.of(3L)).stream().anyMatch(keptNames::contains), "the test's versions share files");
        assertEveryFileOfVersionsVerifies(r.keptVersions());
        for (String name : gone) {
            assertFalse(Files.exists(site.resolve(name)), name);
        }
        assertEquals(gone.stream().mapToLong(before::get).sum(), r.deletedBytes());
        assertEquals(keptNames.stream().mapToLong(before::get).sum(), r.keptBytes());
        assertEquals(List.of(), r.missingFiles());
        assertEquals(List.of(4L, 5L, 6L), new SiteHistory(site).versions());

        // Nothing else changed: the unknown files, the live manifest, the kept entries.
        Map<String, Long> expected = new TreeMap<>(before);
        gone.forEach(expected::remove);
        for (long v : r.removedVersions()) {
            expected.remove(SiteHistory.DIR + "/" + v + ".json");
            expected.remove(SiteHistory.DIR + "/" + v + ".json.sig");
        }
        assertEquals(expected, tree());
    }

    @Test
    void runningAgainDeletesNothingAndKeepingTwoThenRemovesTheThirdNewestVersionOnly() throws IOException {
        SitePruner.prune(site, 3, TRUSTED, false);
        Map<String, Long> afterFirst = tree();
        PruneResult again = SitePruner.prune(site, 3, TRUSTED, false);
        assertEquals(List.of(4L, 5L, 6L), again.keptVersions());
        assertEquals(List.of(), again.removedVersions());
        assertEquals(List.of(), again.deletedFiles());
        assertEquals(afterFirst, tree());

        PruneResult two = SitePruner.prune(site, 2, TRUSTED, false);
        assertEquals(List.of(5L, 6L), two.keptVersions());
        assertEquals(List.of(4L), two.removedVersions());
        Set<String> onlyFour = namedBy(List.of(4L));
        onlyFour.removeAll(namedBy(List.of(5L, 6L)));
        assertEquals(List.copyOf(onlyFour), two.deletedFiles());
        // Version 5 republished version 4's corpus: the full payload they share stays.
        published.get(4L).payload().files().forEach(f -> assertTrue(Files.exists(site.resolve(f.name())), f.name()));
        assertEveryFileOfVersionsVerifies(List.of(5L, 6L));
    }

    @Test
    void aDryRunReportsWhatAPruneDeletesAndDeletesNothing() throws IOException {
        Map<String, Long> before = tree();
        PruneResult dry = SitePruner.prune(site, 2, TRUSTED, true);
        assertTrue(dry.dryRun());
        assertEquals(before, tree());
        PruneResult real = SitePruner.prune(site, 2, TRUSTED, false);
        assertFalse(real.dryRun());
        assertFalse(dry.deletedFiles().isEmpty());
        assertEquals(real.deletedFiles(), dry.deletedFiles());
        assertEquals(real.deletedBytes(), dry.deletedBytes());
        assertEquals(real.removedVersions(), dry.removedVersions());
        assertEquals(real.keptBytes(), dry.keptBytes());
    }

    @Test
    void aTamperedHistoryEntryStopsThePruneBeforeAnyDeletion() throws IOException {
        Path entry = new SiteHistory(site).manifestFile(2);
        ManifestEdits.set(entry, "/counts/records", 31);
        Map<String, Long> before = tree();
        BadSignatureException e = assertThrows(BadSignatureException.class, () -> SitePruner.prune(site, 2, TRUSTED, false));
        assertTrue(e.getMessage().contains(entry.toString()), e.getMessage());
        assertEquals(before, tree());
    }

    @Test
    void anEntryWithoutItsSignatureStopsThePruneNamingTheMissingFile() throws IOException {
        Path signature = new SiteHistory(site).signatureFile(1);
        Files.delete(signature);
        Map<String, Long> before = tree();
        ArtifactException e = assertThrows(ArtifactException.class, () -> SitePruner.prune(site, 2, TRUSTED, false));
        assertTrue(e.getMessage().startsWith(signature + ": "), e.getMessage());
        assertEquals(before, tree());
    }

    @Test
    void aTamperedLiveManifestStopsThePrune() throws IOException {
        Path live = site.resolve(Manifest.FILE_NAME);
        ManifestEdits.set(live, "/rollout/percent", 99);
        Map<String, Long> before = tree();
        BadSignatureException e = assertThrows(BadSignatureException.class, () -> SitePruner.prune(site, 2, TRUSTED, false));
        assertTrue(e.getMessage().contains(live.toString()), e.getMessage());
        assertEquals(before, tree());
    }

    @Test
    void aHistoryNewerThanTheLiveManifestIsRefusedNotPruned() throws IOException {
        // The live manifest put back by hand to version 5 after a bad version 6.
        SiteHistory history = new SiteHistory(site);
        Files.copy(history.signatureFile(5), site.resolve(Manifest.SIGNATURE_FILE_NAME), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.copy(history.manifestFile(5), site.resolve(Manifest.FILE_NAME), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Map<String, Long> before = tree();
        ArtifactException e = assertThrows(ArtifactException.class, () -> SitePruner.prune(site, 2, TRUSTED, false));
        assertTrue(e.getMessage().startsWith(history.manifestFile(6) + ": recorded version: expected at most the live "
                + "manifest's version 5 but was 6"), e.getMessage());
        assertEquals(before, tree());
    }

    @Test
    void theLiveVersionIsKeptEvenWithoutItsHistoryEntry() throws IOException {
        SiteHistory history = new SiteHistory(site);
        history.remove(6);
        PruneResult r = SitePruner.prune(site, 2, TRUSTED, false);
        assertEquals(List.of(5L, 6L), r.keptVersions());
        assertEquals(List.of(1L, 2L, 3L, 4L), r.removedVersions());
        assertEveryFileOfVersionsVerifies(List.of(5L, 6L));
        assertEquals(List.of(5L), history.versions());
    }

    @Test
    void aSiteWithoutHistoryHasNothingToPrune() throws IOException {
        dev.nyla.sync.internal.DurableFiles.deleteRecursively(site.resolve(SiteHistory.DIR));
        Map<String, Long> before = tree();
        PruneResult r = SitePruner.prune(site, 2, TRUSTED, false);
        assertFalse(r.historyFound());
        assertEquals(List.of(6L), r.keptVersions());
        assertEquals(List.of(), r.removedVersions());
        assertEquals(List.of(), r.deletedFiles());
        assertEquals(names(published.get(6L)).stream().mapToLong(before::get).sum(), r.keptBytes());
        assertEquals(before, tree());
    }

    @Test
    void afterAKeyRotationBothKeysAreNeeded() throws IOException {
        KeyPair next = SigningKeys.generate();
        publish(7, Publisher.builder().signingKey(next).trustPreviousKey(KEYS.getPublic()));
        Map<String, Long> before = tree();
        assertThrows(BadSignatureException.class, () -> SitePruner.prune(site, 2, List.of(next.getPublic()), false));
        assertEquals(before, tree());
        PruneResult r = SitePruner.prune(site, 2, List.of(next.getPublic(), KEYS.getPublic()), false);
        assertEquals(List.of(6L, 7L), r.keptVersions());
        assertEveryFileOfVersionsVerifies(List.of(6L, 7L));
    }

    @Test
    void keyDocumentsAreNeverDeletedEvenWhenAnOldManifestNamesThem() throws IOException {
        KeyRotation.builder(site).signingKey(KEYS).newKey(SigningKeys.generate()).rotate();
        // Old entries that name the key document and its signatures as payload files, validly signed.
        SiteHistory history = new SiteHistory(site);
        for (long v : new long[] {1, 2}) {
            Path entry = history.manifestFile(v);
            ManifestEdits.set(entry, "/payload/files/0/name", v == 1 ? "keys-1.json" : "keys-1.json.sig");
            Files.write(history.signatureFile(v), ManifestSignature.sign(Files.readAllBytes(entry), KEYS));
        }
        byte[] document = Files.readAllBytes(site.resolve("keys-1.json"));
        byte[] signatures = Files.readAllBytes(site.resolve("keys-1.json.sig"));
        PruneResult r = SitePruner.prune(site, 2, TRUSTED, false);
        assertEquals(List.of(1L, 2L, 3L, 4L), r.removedVersions());
        assertFalse(r.deletedFiles().contains("keys-1.json") || r.deletedFiles().contains("keys-1.json.sig"),
                r.deletedFiles().toString());
        assertArrayEquals(document, Files.readAllBytes(site.resolve("keys-1.json")));
        assertArrayEquals(signatures, Files.readAllBytes(site.resolve("keys-1.json.sig")));
    }

    @Test
    void keepingFewerThanTwoVersionsIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SitePruner.prune(site, 1, TRUSTED, false));
        assertTrue(e.getMessage().startsWith("keep: expected at least 2"), e.getMessage());
        assertTrue(e.getMessage().endsWith("but was 1"), e.getMessage());
    }

    @Test
    void aDirectoryWithoutALiveManifestIsRefusedNamingIt() throws IOException {
        Path empty = Files.createDirectories(site.resolve("assets"));
        ArtifactException e = assertThrows(ArtifactException.class, () -> SitePruner.prune(empty, 2, TRUSTED, false));
        assertTrue(e.getMessage().startsWith(empty.resolve(Manifest.FILE_NAME) + ": "), e.getMessage());
    }
}
