package dev.nyla.sync.client;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.SourceRecord;
import dev.nyla.sync.artifact.DirectoryArtifactSource;
import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.publish.PublishResult;
import dev.nyla.sync.publish.Publisher;
import dev.nyla.sync.publish.TenantFilesFormat;
import dev.nyla.sync.store.Compression;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.Payload;
import dev.nyla.sync.store.PayloadFile;
import dev.nyla.sync.store.VectorStore;
import dev.nyla.sync.store.internal.MemoryVectorStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Store-native payloads end to end: a publisher writes tenant files beside the records, a store with an
 * installer for them installs by copying and verifying files (only the changed ones for an update), a store
 * without one installs the same versions from the records, and every native failure falls back to them.
 */
class NativeInstallTest {
    // Version 2 changes records 0, 100, 200 and 300, all of tenant "default": tenant "other" keeps its file.
    private static final List<SourceRecord> V1 = Releases.corpus(400, 1, 100, false);
    private static final List<SourceRecord> V2 = Releases.corpus(400, 2, 100, false);

    @TempDir
    Path dir;
    private Releases releases;
    private final Closer closer = new Closer();
    private final NylaSyncTest.Events events = new NylaSyncTest.Events();
    private int stores;
    /** Version 1 as published by {@link #installedV1}. */
    private PublishResult v1;

    @BeforeEach
    void setUp() throws IOException {
        releases = new Releases(dir);
    }

    @AfterEach
    void tearDown() throws Exception {
        closer.closeAll();
    }

    private PublishResult publish(List<SourceRecord> records) throws IOException {
        return releases.publish(records, Publisher.builder().nativePayload(new TenantFilesFormat()));
    }

    private TenantFilesStore nativeStore() throws IOException {
        return closer.later(new TenantFilesStore(dir.resolve("store-" + stores++), "1"));
    }

    private NylaSync.Builder builder(VectorStore store) {
        return NylaSync.builder().source(new DirectoryArtifactSource(releases.host)).store(store)
                .publicKey(Releases.KEYS.getPublic()).queryEmbedder(Releases.EMBEDDER).listener(events);
    }

    private NylaSync client(VectorStore store) throws IOException {
        return closer.later(builder(store).build());
    }

    /** Publishes version 1 with its native payload and installs it into {@code store} by the native route. */
    private NylaSync installedV1(TenantFilesStore store) throws IOException {
        v1 = publish(V1);
        NylaSync sync = client(store);
        installed(sync.checkNow(), InstallRoute.NATIVE_FULL);
        return sync;
    }

    private static SyncResult installed(SyncResult r, InstallRoute route) {
        assertEquals(SyncResult.Outcome.INSTALLED, r.outcome(), r.steps().toString());
        assertEquals(route, r.route().orElseThrow(), r.steps().toString());
        return r;
    }

    private static Payload tenantFiles(PublishResult r) {
        return r.manifest().nativePayload(TenantFilesFormat.KIND).orElseThrow();
    }

    /** The file of version 2's payload that version 1's did not have: tenant "default"'s. */
    private PayloadFile changedFile(PublishResult v2) {
        Set<String> old = tenantFiles(v1).files().stream().map(PayloadFile::sha256).collect(Collectors.toSet());
        List<PayloadFile> fresh = tenantFiles(v2).files().stream().filter(f -> !old.contains(f.sha256())).toList();
        assertEquals(1, fresh.size(), "one tenant changed");
        return fresh.get(0);
    }

    private void flipAByte(Path file) throws IOException {
        byte[] b = Files.readAllBytes(file);
        b[b.length / 2] ^= 0x10;
        Files.write(file, b);
    }

    @Test
    void theNativePayloadIsInstalledInFullThenOnlyTheChangedTenantsFileIsDownloaded() throws IOException {
        v1 = publish(V1);
        TenantFilesStore store = nativeStore();
        NylaSync sync = client(store);
        SyncResult first = installed(sync.checkNow(), InstallRoute.NATIVE_FULL);
        long full1 = v1.nativeBytes(TenantFilesFormat.KIND).orElseThrow().fullBytes();
        assertEquals(full1, first.bytesDownloaded());
        assertEquals(full1, first.fullPayloadBytes());
        assertEquals(List.of("CHECKING", "UPDATE_AVAILABLE", "DOWNLOADING", "VERIFYING", "INSTALLING", "SWAPPING",
                "COMMITTED", "IDLE"), events.states());
        assertEquals(InstallRoute.NATIVE_FULL, events.offers.get(0).route());
        assertEquals(full1, events.offers.get(0).downloadBytes());
        assertEquals(Releases.expected(V1), Releases.contents(store));
        Generation g1 = store.activeGeneration().orElseThrow();
        assertEquals("NATIVE_FULL", g1.attributes().get("route"));
        assertEquals(64, g1.attributes().get("manifestSha256").length());

        PublishResult v2 = publish(V2);
        SyncResult second = installed(sync.checkNow(), InstallRoute.NATIVE_DELTA);
        PayloadFile changed = changedFile(v2);
        assertEquals(changed.size(), second.bytesDownloaded(), "exactly the changed tenant's file");
        assertEquals(v2.nativeBytes(TenantFilesFormat.KIND).orElseThrow().newBytes(), second.bytesDownloaded());
        assertEquals(v2.nativeBytes(TenantFilesFormat.KIND).orElseThrow().fullBytes(), second.fullPayloadBytes());
        assertEquals(InstallRoute.NATIVE_DELTA, events.offers.get(1).route());
        assertEquals(changed.size(), events.offers.get(1).downloadBytes());
        assertEquals(Releases.expected(V2), Releases.contents(store));
        assertEquals(2, store.activeGeneration().orElseThrow().version());
    }

    @Test
    void aStoreWithoutTheInstallerInstallsTheSameVersionsFromTheRecords() throws IOException {
        publish(V1);
        MemoryVectorStore plain = closer.later(new MemoryVectorStore());
        TenantFilesStore withFiles = nativeStore();
        NylaSync plainSync = client(plain);
        NylaSync nativeSync = client(withFiles);
        installed(plainSync.checkNow(), InstallRoute.FULL_COMPRESSED);
        installed(nativeSync.checkNow(), InstallRoute.NATIVE_FULL);
        assertEquals(Releases.contents(withFiles), Releases.contents(plain));

        publish(V2);
        installed(plainSync.checkNow(), InstallRoute.DELTA);
        installed(nativeSync.checkNow(), InstallRoute.NATIVE_DELTA);
        assertEquals(Releases.expected(V2), Releases.contents(plain));
        assertEquals(Releases.contents(withFiles), Releases.contents(plain));
    }

    @Test
    void aCorruptNativeFileOnTheHostFallsBackToTheRecordsWhichInstallTheRightContent() throws IOException {
        TenantFilesStore store = nativeStore();
        NylaSync sync = installedV1(store);
        PublishResult v2 = publish(V2);
        flipAByte(releases.host.resolve(changedFile(v2).name()));

        SyncResult r = installed(sync.checkNow(), InstallRoute.DELTA);
        assertTrue(events.log.contains("fallback NATIVE_DELTA -> NATIVE_FULL"), events.log.toString());
        assertTrue(events.log.contains("fallback NATIVE_FULL -> DELTA"), events.log.toString());
        assertTrue(r.steps().stream().anyMatch(s -> s.startsWith("NATIVE_FULL failed") && s.contains("sha256")),
                r.steps().toString());
        assertEquals(Releases.expected(V2), Releases.contents(store));
        assertEquals(1, store.generations().stream().filter(g -> g.version() == 2).count(), "no leftover generation");
        assertEquals(smallestRecords(v2.manifest()), r.fullPayloadBytes(), "the records' size once they install");
    }

    private static long smallestRecords(Manifest m) {
        return m.payload().files().stream().mapToLong(PayloadFile::size).min().orElseThrow();
    }

    @Test
    void aFirstInstallFallsBackFromACorruptNativeFileToTheFullRecords() throws IOException {
        v1 = publish(V1);
        flipAByte(releases.host.resolve(tenantFiles(v1).files().get(0).name()));
        TenantFilesStore store = nativeStore();
        SyncResult r = installed(client(store).checkNow(), InstallRoute.FULL_COMPRESSED);
        assertTrue(events.log.contains("fallback NATIVE_FULL -> FULL_COMPRESSED"), events.log.toString());
        assertEquals(Releases.expected(V1), Releases.contents(store));
        assertTrue(r.bytesDownloaded() >= file(v1.manifest(), Compression.GZIP).size());
    }

    @Test
    void aDamagedFileHeldByTheStoreFailsTheNativeDeltaAndTheFullNativeDownloadReplacesIt() throws IOException {
        TenantFilesStore store = nativeStore();
        NylaSync sync = installedV1(store);
        PublishResult v2 = publish(V2);
        // Tenant "other" is unchanged in version 2, so the native delta reuses the store's copy of its file.
        PayloadFile kept = tenantFiles(v2).files().stream().filter(f -> !f.equals(changedFile(v2))).findFirst()
                .orElseThrow();
        flipAByte(store.file(kept));

        SyncResult r = installed(sync.checkNow(), InstallRoute.NATIVE_FULL);
        assertTrue(events.log.contains("fallback NATIVE_DELTA -> NATIVE_FULL"), events.log.toString());
        assertTrue(r.steps().stream().anyMatch(s -> s.startsWith("NATIVE_DELTA failed") && s.contains(kept.name())),
                r.steps().toString());
        assertEquals(Releases.expected(V2), Releases.contents(store));
        assertEquals(kept.size(), Files.size(store.file(kept)));
        assertEquals(kept.sha256(), dev.nyla.sync.ContentHash.sha256Hex(Files.readAllBytes(store.file(kept))),
                "the full install brought a good copy");
        long delta = changedFile(v2).size();
        assertEquals(delta + v2.nativeBytes(TenantFilesFormat.KIND).orElseThrow().fullBytes(), r.bytesDownloaded(),
                "the delta's file, then every file");
    }

    @Test
    void aPayloadTheStoreCannotReadIsSkippedForTheRecordsAndTheStepSaysWhy() throws IOException {
        releases.publish(V1, Publisher.builder().nativePayload(new TenantFilesFormat("2")));
        TenantFilesStore store = nativeStore();
        SyncResult r = installed(client(store).checkNow(), InstallRoute.FULL_COMPRESSED);
        assertTrue(r.steps().stream().anyMatch(s -> s.contains("cannot read") && s.contains("layout")
                && s.contains("expected 1 but was 2")), r.steps().toString());
        assertTrue(events.log.stream().noneMatch(s -> s.startsWith("fallback")), "skipped, not failed: " + events.log);
        assertEquals(Releases.expected(V1), Releases.contents(store));
    }

    @Test
    void aVersionWithoutThePayloadOfTheStoresKindIsInstalledFromTheRecordsAndTheStepSaysSo() throws IOException {
        releases.publish(V1);
        TenantFilesStore store = nativeStore();
        SyncResult r = installed(client(store).checkNow(), InstallRoute.FULL_COMPRESSED);
        assertTrue(r.steps().stream().anyMatch(s -> s.contains("no " + TenantFilesFormat.KIND + " payload")),
                r.steps().toString());
    }

    @Test
    void forceUpdateDownloadsEveryNativeFileAgain() throws IOException {
        NylaSync sync = installedV1(nativeStore());
        SyncResult forced = installed(sync.forceUpdate(), InstallRoute.NATIVE_FULL);
        assertEquals(v1.nativeBytes(TenantFilesFormat.KIND).orElseThrow().fullBytes(), forced.bytesDownloaded());
    }

    @Test
    void aRecordCountOtherThanTheManifestsFailsTheNativeRoutesWithoutLeavingAGeneration() throws IOException {
        publish(V1);
        TenantFilesStore store = nativeStore();
        store.loseARecord = true;
        SyncResult r = installed(client(store).checkNow(), InstallRoute.FULL_COMPRESSED);
        assertTrue(r.steps().stream().anyMatch(s -> s.startsWith("NATIVE_FULL failed") && s.contains("record count")),
                r.steps().toString());
        assertEquals(1, store.generations().size(), "the generation with a missing record was deleted");
        assertEquals(Releases.expected(V1), Releases.contents(store));
    }

    @Test
    void aDownloadDamagedOnDiskAfterAnEarlierAttemptIsHashedAgainAndFetchedAfresh() throws IOException {
        v1 = publish(V1);
        PayloadFile f = tenantFiles(v1).files().get(0);
        Path stateDir = dir.resolve("state");
        Path stale = Files.createDirectories(stateDir.resolve("downloads")).resolve(f.name());
        Files.copy(releases.host.resolve(f.name()), stale);
        flipAByte(stale);
        TenantFilesStore store = nativeStore();
        SyncResult r = installed(closer.later(builder(store).stateDirectory(stateDir).build()).checkNow(),
                InstallRoute.NATIVE_FULL);
        assertEquals(v1.nativeBytes(TenantFilesFormat.KIND).orElseThrow().fullBytes(), r.bytesDownloaded());
        assertEquals(Releases.expected(V1), Releases.contents(store));
    }

    @Test
    void theFirstNativeRouteOfAnUpdateIsOfferedWithWhatItDownloads() throws IOException {
        v1 = publish(V1);
        TenantFilesStore store = nativeStore();
        NylaSync manual = closer.later(builder(store).manualApproval(o -> false).build());
        assertEquals(SyncResult.Outcome.DECLINED, manual.checkNow().outcome());
        assertEquals(InstallRoute.NATIVE_FULL, events.offers.get(0).route());
        assertTrue(store.activeGeneration().isEmpty());
        // Nothing was begun for the offer: the store holds no files and no install directories.
        try (var left = Files.list(store.filesDirectory())) {
            assertEquals(0, left.count());
        }
        assertEquals(v1.nativeBytes(TenantFilesFormat.KIND).orElseThrow().fullBytes(),
                events.offers.get(0).downloadBytes());
    }

    private static PayloadFile file(Manifest m, Compression c) {
        return m.payload().files().stream().filter(f -> f.compression() == c).findFirst().orElseThrow();
    }
}
