package dev.nyla.sync.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nyla.sync.SourceRecord;
import dev.nyla.sync.artifact.DirectoryArtifactSource;
import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.artifact.internal.Artifacts;
import dev.nyla.sync.artifact.internal.ManifestCodec;
import dev.nyla.sync.artifact.internal.ManifestSignature;
import dev.nyla.sync.corpus.Corpus;
import dev.nyla.sync.demo.HashingEmbedder;
import dev.nyla.sync.internal.RecordEntry;
import dev.nyla.sync.internal.RecordFileReader;
import dev.nyla.sync.internal.RecordFileWriter;
import dev.nyla.sync.publish.PublishResult;
import dev.nyla.sync.publish.Publisher;
import dev.nyla.sync.store.Compression;
import dev.nyla.sync.store.PayloadFile;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import java.util.zip.GZIPOutputStream;

/**
 * A publisher's host directory for tests: each {@link #publish} writes the next version into it as a CI job
 * would (payload files first, the manifest last), and keeps each version's signed manifest so a test can
 * serve an old one again (a replay).
 */
final class Releases {
    static final KeyPair KEYS = SigningKeys.generate();
    static final HashingEmbedder EMBEDDER = new HashingEmbedder(32);
    private static final ObjectMapper JSON = new ObjectMapper();

    final Path host;
    private final Path manifests;
    private int version;

    Releases(Path root) throws IOException {
        this.host = Files.createDirectories(root.resolve("host"));
        this.manifests = Files.createDirectories(root.resolve("manifests"));
    }

    /** Publishes the next version of {@code records}, with a delta from the previous one. */
    PublishResult publish(List<SourceRecord> records) throws IOException {
        return publish(records, Publisher.builder());
    }

    PublishResult publish(List<SourceRecord> records, Publisher.Builder builder) throws IOException {
        Publisher p = builder.signingKey(KEYS).embedder(EMBEDDER).label("release " + (version + 1)).build();
        PublishResult r = version == 0 ? p.publish(Corpus.of(records), host) : p.publish(Corpus.of(records), host, host);
        version = (int) r.manifest().version();
        Files.copy(host.resolve(Manifest.FILE_NAME), manifests.resolve(version + ".json"), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(host.resolve(Manifest.SIGNATURE_FILE_NAME), manifests.resolve(version + ".sig"),
                StandardCopyOption.REPLACE_EXISTING);
        return r;
    }

    /** Serves the manifest of an earlier version again, as a replaying attacker or a stale mirror would. */
    void serveOld(int v) throws IOException {
        Files.copy(manifests.resolve(v + ".sig"), host.resolve(Manifest.SIGNATURE_FILE_NAME),
                StandardCopyOption.REPLACE_EXISTING);
        Files.copy(manifests.resolve(v + ".json"), host.resolve(Manifest.FILE_NAME), StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * Rewrites the record files of the served version that {@code which} selects, passing each entry through
     * {@code edit}, names them by their new SHA-256 and signs the manifest again: the artifact a publisher with
     * a defect would sign, whose every byte verifies. Files in which {@code edit} changed nothing are left as
     * they are.
     *
     * @return the entries changed in each rewritten file, by its old name
     */
    Map<String, Integer> rewriteRecords(Predicate<PayloadFile> which, UnaryOperator<RecordEntry> edit)
            throws IOException {
        Path manifestFile = host.resolve(Manifest.FILE_NAME);
        ObjectNode json = (ObjectNode) JSON.readTree(manifestFile.toFile());
        Manifest m = ManifestCodec.read(Files.readAllBytes(manifestFile), manifestFile.toString());
        List<PayloadFile> files = new ArrayList<>(m.payload().files());
        m.deltas().forEach(d -> files.addAll(d.files()));
        Map<String, Integer> changed = new java.util.TreeMap<>();
        for (PayloadFile f : files) {
            if (!which.test(f)) {
                continue;
            }
            ByteArrayOutputStream content = new ByteArrayOutputStream();
            int edits = 0;
            try (RecordFileReader in = Artifacts.openRecordFile(new DirectoryArtifactSource(host), f,
                    m.model().dimension(), m.vectorEncoding());
                 RecordFileWriter out = new RecordFileWriter(content, f.name(), in.kind(), in.dimension(),
                         in.vectorEncoding())) {
                for (Optional<RecordEntry> e; (e = in.next()).isPresent(); ) {
                    RecordEntry after = edit.apply(e.get());
                    edits += after.equals(e.get()) ? 0 : 1;
                    switch (after) {
                        case RecordEntry.Upsert u -> out.upsert(u.record());
                        case RecordEntry.Delete d -> out.delete(d.tenant(), d.id());
                    }
                }
                out.finish();
            }
            if (edits == 0) {
                continue;
            }
            byte[] bytes = content.toByteArray();
            long uncompressed = bytes.length;
            if (f.compression() == Compression.GZIP) {
                ByteArrayOutputStream gz = new ByteArrayOutputStream();
                try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
                    out.write(bytes);
                }
                bytes = gz.toByteArray();
            }
            String sha = dev.nyla.sync.ContentHash.sha256Hex(bytes);
            String name = f.name().replace(f.sha256(), sha);
            Files.write(host.resolve(name), bytes);
            for (JsonNode entry : json.findParents("sha256")) {
                if (entry.path("name").asText().equals(f.name())) {
                    ((ObjectNode) entry).put("name", name).put("size", bytes.length).put("sha256", sha)
                            .put("uncompressedSize", uncompressed);
                }
            }
            changed.put(f.name(), edits);
        }
        signManifest(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(json));
        return changed;
    }

    /** Replaces the served manifest by {@code manifest}, signed with the publisher's key. */
    void signManifest(byte[] manifest) throws IOException {
        Files.write(host.resolve(Manifest.SIGNATURE_FILE_NAME), ManifestSignature.sign(manifest, KEYS));
        Files.write(host.resolve(Manifest.FILE_NAME), manifest);
    }

    /**
     * {@code count} records of tenant "default" (and a few of tenant "other"); in {@code version}, every
     * {@code changeEvery}-th record's text names that version, and every record carries the version tag
     * {@code v} when {@code tagAll} is set.
     */
    static List<SourceRecord> corpus(int count, int version, int changeEvery, boolean tagAll) {
        List<SourceRecord> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String tenant = i % 10 == 9 ? "other" : "default";
            String edition = i % changeEvery == 0 ? "edition " + version : "edition 1";
            out.add(new SourceRecord(tenant, String.format("doc-%05d", i),
                    "Record " + i + " about topic " + (i % 17) + ", " + edition + ".",
                    tagAll ? Map.of("v", "" + version) : Map.of("topic", "" + (i % 17))));
        }
        return out;
    }

    /** The store's whole inventory as "tenant/id=contentHash" lines, in key order, for comparing stores. */
    static List<String> contents(dev.nyla.sync.store.VectorStore store) throws IOException {
        List<String> out = new ArrayList<>();
        for (String tenant : store.tenants().toList()) {
            try (java.util.stream.Stream<dev.nyla.sync.store.InventoryEntry> inv = store.inventory(tenant)) {
                inv.forEach(e -> out.add(tenant + "/" + e.id() + "=" + e.contentHash()));
            }
        }
        return out;
    }

    /** What {@link #contents} gives for a store holding exactly {@code records} as published. */
    static List<String> expected(List<SourceRecord> records) {
        String fp = EMBEDDER.model().fingerprint();
        return records.stream()
                .sorted((a, b) -> dev.nyla.sync.RecordKeys.compare(a.tenant(), a.id(), b.tenant(), b.id()))
                .map(r -> r.tenant() + "/" + r.id() + "=" + r.contentHash(fp)).toList();
    }
}
