package dev.nyla.sync.client;

import dev.nyla.sync.SourceRecord;
import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.embed.HashingEmbedder;
import dev.nyla.sync.publish.Corpus;
import dev.nyla.sync.publish.PublishResult;
import dev.nyla.sync.publish.Publisher;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A publisher's host directory for tests: each {@link #publish} writes the next version into it as a CI job
 * would (payload files first, the manifest last), and keeps each version's signed manifest so a test can
 * serve an old one again (a replay).
 */
final class Releases {
    static final KeyPair KEYS = SigningKeys.generate();
    static final HashingEmbedder EMBEDDER = new HashingEmbedder(32);

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
