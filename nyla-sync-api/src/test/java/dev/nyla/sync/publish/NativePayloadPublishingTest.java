package dev.nyla.sync.publish;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.ArtifactException;
import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.IntegrityException;
import dev.nyla.sync.SourceRecord;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.artifact.DirectoryArtifactSource;
import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.artifact.internal.Artifacts;
import dev.nyla.sync.corpus.Corpus;
import dev.nyla.sync.demo.HashingEmbedder;
import dev.nyla.sync.store.Compression;
import dev.nyla.sync.store.Payload;
import dev.nyla.sync.store.PayloadFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Store-native payloads beside the records: built from scratch or on the previous version, verified, sized. */
class NativePayloadPublishingTest {
    private static final KeyPair KEYS = SigningKeys.generate();
    private static final HashingEmbedder EMBEDDER = new HashingEmbedder(32);

    @TempDir
    Path dir;

    private PublishResult publish(TenantFilesFormat format, List<SourceRecord> corpus, String out, String previous)
            throws IOException {
        return publish(format, EMBEDDER, corpus, out, previous);
    }

    private PublishResult publish(NativePayloadFormat format, HashingEmbedder embedder, List<SourceRecord> corpus,
                                  String out, String previous) throws IOException {
        Publisher p = Publisher.builder().signingKey(KEYS).embedder(embedder).nativePayload(format).build();
        return previous == null ? p.publish(Corpus.of(corpus), dir.resolve(out))
                : p.publish(Corpus.of(corpus), dir.resolve(out), dir.resolve(previous));
    }

    /** Version 2 of {@link PublisherTest#corpus}: one acme record changed, one added, one deleted. */
    private static List<SourceRecord> changedInAcme(List<SourceRecord> v1) {
        List<SourceRecord> v2 = new ArrayList<>();
        for (SourceRecord s : v1) {
            if (s.id().equals("doc-3")) {
                v2.add(new SourceRecord(s.tenant(), s.id(), s.text() + " Revised.", s.metadata()));
            } else if (!s.id().equals("doc-6")) {
                v2.add(s);
            }
        }
        v2.add(new SourceRecord("acme", "doc-new", "A new acme document", Map.of()));
        return v2;
    }

    private static Set<String> shas(Payload p) {
        return p.files().stream().map(PayloadFile::sha256).collect(Collectors.toSet());
    }

    @Test
    void aFirstVersionBuildsTheNativePayloadFromEveryRecordBesideTheSameRecords() throws IOException {
        TenantFilesFormat format = new TenantFilesFormat();
        PublishResult r = publish(format, PublisherTest.corpus(50), "v1", null);

        assertFalse(format.lastHadBase);
        assertEquals(50, format.added);
        Manifest m = Artifacts.fetchVerifiedManifest(new DirectoryArtifactSource(dir.resolve("v1")),
                List.of(KEYS.getPublic()));
        assertEquals(r.manifest(), m, "the signed manifest carries the native payload as built");
        assertEquals(Payload.RECORDS, m.payload().kind());
        Payload tenantFiles = m.nativePayload(TenantFilesFormat.KIND).orElseThrow();
        assertEquals(2, tenantFiles.files().size(), "one file per tenant: acme and default");
        assertEquals(Map.of(TenantFilesFormat.LAYOUT, "1"), tenantFiles.attributes());
        Payload plain = new Payload(Payload.RECORDS, Map.of(), List.of(m.payload().files().get(1)));
        assertEquals(TenantFilesFormat.read(dir.resolve("v1"), plain, 32),
                TenantFilesFormat.read(dir.resolve("v1"), tenantFiles, 32), "the same records, vectors included");

        PublishResult.NativeBytes bytes = r.nativeBytes(TenantFilesFormat.KIND).orElseThrow();
        long sum = tenantFiles.files().stream().mapToLong(PayloadFile::size).sum();
        assertEquals(sum, bytes.fullBytes());
        assertEquals(sum, bytes.newBytes(), "a first version is all new");
    }

    @Test
    void theNextVersionIsBuiltOnThePreviousFromTheChangesAloneAndEqualsOneBuiltFromScratch() throws IOException {
        List<SourceRecord> v1 = PublisherTest.corpus(50);
        List<SourceRecord> v2 = changedInAcme(v1);
        TenantFilesFormat format = new TenantFilesFormat();
        Payload before = publish(format, v1, "v1", null).manifest().nativePayload(TenantFilesFormat.KIND).orElseThrow();
        PublishResult r = publish(format, v2, "v2", "v1");

        assertTrue(format.lastHadBase);
        assertEquals(r.added() + r.updated(), format.added, "only added and changed records");
        assertEquals(2, format.added);
        assertEquals(1, format.deleted);
        Payload after = r.manifest().nativePayload(TenantFilesFormat.KIND).orElseThrow();

        TenantFilesFormat scratch = new TenantFilesFormat();
        Payload fromScratch = publish(scratch, v2, "scratch", null).manifest().nativePayload(TenantFilesFormat.KIND)
                .orElseThrow();
        assertEquals(v2.size(), scratch.added);
        assertEquals(fromScratch, after);

        // The default tenant was not touched: its file is the same, and only acme's is new.
        Set<String> kept = shas(after);
        kept.retainAll(shas(before));
        assertEquals(1, kept.size());
        PayloadFile acme = after.files().stream().filter(f -> !kept.contains(f.sha256())).findFirst().orElseThrow();
        PublishResult.NativeBytes bytes = r.nativeBytes(TenantFilesFormat.KIND).orElseThrow();
        assertEquals(acme.size(), bytes.newBytes());
        assertEquals(after.files().stream().mapToLong(PayloadFile::size).sum(), bytes.fullBytes());
        assertTrue(bytes.newBytes() < bytes.fullBytes());
    }

    @Test
    void compactingPublisherAsksTheFormatBuildingOnThePreviousVersionForItsCompactForm() throws IOException {
        List<SourceRecord> v1 = PublisherTest.corpus(50);
        TenantFilesFormat format = new TenantFilesFormat();
        publish(format, v1, "v1", null);
        publish(format, changedInAcme(v1), "v2", "v1");
        assertTrue(format.lastHadBase);
        assertFalse(format.lastAskedToCompact, "by default a payload is built for the fewest changed files");

        Publisher compacting = Publisher.builder().signingKey(KEYS).embedder(EMBEDDER).nativePayload(format)
                .compactNativePayloads(true).build();
        compacting.publish(Corpus.of(changedInAcme(v1)), dir.resolve("v3"), dir.resolve("v2"));
        assertTrue(format.lastHadBase, "compacting still builds on the previous version's payload");
        assertTrue(format.lastAskedToCompact);
    }

    @Test
    void aModelChangeBuildsTheNativePayloadFromScratch() throws IOException {
        List<SourceRecord> v1 = PublisherTest.corpus(30);
        TenantFilesFormat format = new TenantFilesFormat();
        publish(format, v1, "v1", null);
        PublishResult r = publish(format, new HashingEmbedder(48), v1, "v2", "v1");
        assertFalse(format.lastHadBase);
        assertEquals(30, format.added);
        PublishResult.NativeBytes bytes = r.nativeBytes(TenantFilesFormat.KIND).orElseThrow();
        assertEquals(bytes.fullBytes(), bytes.newBytes(), "new vectors, new files");
    }

    @Test
    void aPreviousVersionWithoutTheKindStartsItFromScratch() throws IOException {
        List<SourceRecord> v1 = PublisherTest.corpus(30);
        Publisher.builder().signingKey(KEYS).embedder(EMBEDDER).build().publish(Corpus.of(v1), dir.resolve("v1"));
        TenantFilesFormat format = new TenantFilesFormat();
        PublishResult r = publish(format, v1, "v2", "v1");
        assertFalse(format.lastHadBase);
        assertEquals(2, r.manifest().version());
        assertEquals(30, format.added);
    }

    @Test
    void aTamperedOrMissingFileOfThePreviousNativePayloadIsRefusedAndNothingIsPublished() throws IOException {
        List<SourceRecord> v1 = PublisherTest.corpus(30);
        Payload before = publish(new TenantFilesFormat(), v1, "v1", null).manifest()
                .nativePayload(TenantFilesFormat.KIND).orElseThrow();
        PayloadFile victim = before.files().get(1);
        Path file = dir.resolve("v1").resolve(victim.name());
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length / 2] ^= 1;
        Files.write(file, bytes);

        IntegrityException e = assertThrows(IntegrityException.class,
                () -> publish(new TenantFilesFormat(), changedInAcme(v1), "v2", "v1"));
        assertTrue(e.subject().endsWith(victim.name()), e.getMessage());
        assertEquals(victim.sha256(), e.expected());
        assertEquals(dev.nyla.sync.ContentHash.sha256Hex(bytes), e.actual());
        assertFalse(Files.exists(dir.resolve("v2").resolve(Manifest.FILE_NAME)));

        Files.delete(file);
        IntegrityException missing = assertThrows(IntegrityException.class,
                () -> publish(new TenantFilesFormat(), changedInAcme(v1), "v2", "v1"));
        assertTrue(missing.getMessage().contains(victim.name()) && missing.getMessage().contains(victim.sha256()),
                missing.getMessage());
        assertEquals("no such file", missing.actual());
    }

    @Test
    void aBuilderThatDescribesItsFilesWronglyIsRefusedBeforeAnythingIsSigned() {
        NativePayloadFormat lying = new LyingFormat((out, f) -> new PayloadFile(f.name(), f.size() + 1, f.sha256(),
                Compression.NONE, f.size() + 1));
        IntegrityException wrongSize = assertThrows(IntegrityException.class,
                () -> publish(lying, EMBEDDER, PublisherTest.corpus(10), "v1", null));
        assertTrue(wrongSize.getMessage().contains("size"), wrongSize.getMessage());
        NativePayloadFormat uncontentAddressed = new LyingFormat((out, f) -> {
            Path renamed = out.resolve("part-" + f.size() + ".bin");
            Files.move(out.resolve(f.name()), renamed);
            return new PayloadFile(renamed.getFileName().toString(), f.size(), f.sha256(), Compression.NONE, f.size());
        });
        ArtifactException named = assertThrows(ArtifactException.class,
                () -> publish(uncontentAddressed, EMBEDDER, PublisherTest.corpus(10), "v1b", null));
        assertTrue(named.getMessage().contains("SHA-256 in its name"), named.getMessage());
        assertFalse(Files.exists(dir.resolve("v1").resolve(Manifest.FILE_NAME)));
    }

    @Test
    void eachKindIsAddedOnceAndNeverAsRecords() {
        Publisher.Builder b = Publisher.builder().nativePayload(new TenantFilesFormat());
        assertThrows(IllegalArgumentException.class, () -> b.nativePayload(new TenantFilesFormat("2")));
        assertThrows(IllegalArgumentException.class, () -> b.nativePayload(new LyingFormat((out, f) -> f) {
            @Override
            public String kind() {
                return Payload.RECORDS;
            }
        }));
    }

    /** How a buggy adapter describes (and perhaps renames) a file it wrote into {@code out}. */
    @FunctionalInterface
    private interface Description {
        PayloadFile of(Path out, PayloadFile written) throws IOException;
    }

    /** Writes tenant files, then describes them through {@code describe}: a buggy adapter. */
    private static class LyingFormat implements NativePayloadFormat {
        private final Description describe;

        LyingFormat(Description describe) {
            this.describe = describe;
        }

        @Override
        public String kind() {
            return "lying";
        }

        @Override
        public NativePayloadBuilder begin(EmbeddingModel model, Optional<Base> base) throws IOException {
            NativePayloadBuilder real = new TenantFilesFormat().begin(model, base);
            return new NativePayloadBuilder() {
                @Override
                public void add(VectorRecord record) throws IOException {
                    real.add(record);
                }

                @Override
                public void delete(String tenant, String id) throws IOException {
                    real.delete(tenant, id);
                }

                @Override
                public Payload finish(Path out) throws IOException {
                    List<PayloadFile> files = new ArrayList<>();
                    for (PayloadFile f : real.finish(out).files()) {
                        files.add(describe.of(out, f));
                    }
                    return new Payload(kind(), Map.of(), files);
                }

                @Override
                public void close() throws IOException {
                    real.close();
                }
            };
        }
    }
}
