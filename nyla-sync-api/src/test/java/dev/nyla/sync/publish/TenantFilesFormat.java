package dev.nyla.sync.publish;

import dev.nyla.sync.ContentHash;
import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.RecordKeys;
import dev.nyla.sync.VectorEncoding;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.artifact.DirectoryArtifactSource;
import dev.nyla.sync.artifact.internal.Artifacts;
import dev.nyla.sync.internal.RecordEntry;
import dev.nyla.sync.internal.RecordFileKind;
import dev.nyla.sync.internal.RecordFileReader;
import dev.nyla.sync.internal.RecordFileWriter;
import dev.nyla.sync.store.Compression;
import dev.nyla.sync.store.Payload;
import dev.nyla.sync.store.PayloadFile;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A store-native payload format for tests, small but real: one plain nyla record file per tenant, named
 * {@code tenant-<sha256>.nyr}, in tenant order. Files are written deterministically, so a tenant that no
 * change touches keeps its file byte for byte, and with it its name: the delta of a native payload.
 *
 * <p>It counts what its builders are fed, so tests can tell a builder fed from scratch from one fed changes.
 */
public final class TenantFilesFormat implements NativePayloadFormat {
    /** The payload kind. */
    public static final String KIND = "tenant-files";
    /** The attribute naming the layout version, which test stores check before downloading. */
    public static final String LAYOUT = "layout";

    private final String layout;
    /** Whether the last builder started from a base, and what it was fed. */
    public boolean lastHadBase;
    /** Whether the last base asked for the most compact form, which this format does not have. */
    public boolean lastAskedToCompact;
    /** Records the last builder was given with {@code add}. */
    public long added;
    /** Keys the last builder was given with {@code delete}. */
    public long deleted;

    /** Writes layout version 1. */
    public TenantFilesFormat() {
        this("1");
    }

    /** Writes the given layout version (for tests of clients that cannot read it). */
    public TenantFilesFormat(String layout) {
        this.layout = layout;
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public NativePayloadBuilder begin(EmbeddingModel model, Optional<Base> base) throws IOException {
        lastHadBase = base.isPresent();
        lastAskedToCompact = base.map(Base::compact).orElse(false);
        added = 0;
        deleted = 0;
        TreeMap<String, TreeMap<String, VectorRecord>> tenants = new TreeMap<>(RecordKeys.ORDER);
        if (base.isPresent()) {
            for (VectorRecord r : read(base.get().directory(), base.get().payload(), model.dimension())) {
                tenants.computeIfAbsent(r.tenant(), t -> new TreeMap<>(RecordKeys.ORDER)).put(r.id(), r);
            }
        }
        return new Builder(model, tenants);
    }

    /** Every record of a payload of this kind in {@code dir}, in key order, read through every check. */
    public static List<VectorRecord> read(Path dir, Payload payload, int dimension) throws IOException {
        List<VectorRecord> out = new ArrayList<>();
        for (PayloadFile f : payload.files()) {
            try (RecordFileReader reader = Artifacts.openRecordFile(new DirectoryArtifactSource(dir), f, dimension,
                    VectorEncoding.F32)) {
                for (Optional<RecordEntry> e; (e = reader.next()).isPresent(); ) {
                    out.add(((RecordEntry.Upsert) e.get()).record());
                }
            }
        }
        return out;
    }

    private final class Builder implements NativePayloadBuilder {
        private final EmbeddingModel model;
        private final TreeMap<String, TreeMap<String, VectorRecord>> tenants;
        private String lastTenant;
        private String lastId;

        Builder(EmbeddingModel model, TreeMap<String, TreeMap<String, VectorRecord>> tenants) {
            this.model = model;
            this.tenants = tenants;
        }

        /** The SPI promises strictly ascending keys; a test format that did not check would hide a publisher bug. */
        private void inOrder(String tenant, String id) {
            if (lastTenant != null && RecordKeys.compare(lastTenant, lastId, tenant, id) >= 0) {
                throw new IllegalArgumentException("key " + tenant + "/" + id + " is not after " + lastTenant + "/" + lastId);
            }
            lastTenant = tenant;
            lastId = id;
        }

        @Override
        public void add(VectorRecord record) {
            inOrder(record.tenant(), record.id());
            added++;
            tenants.computeIfAbsent(record.tenant(), t -> new TreeMap<>(RecordKeys.ORDER)).put(record.id(), record);
        }

        @Override
        public void delete(String tenant, String id) {
            inOrder(tenant, id);
            deleted++;
            TreeMap<String, VectorRecord> records = tenants.get(tenant);
            if (records != null) {
                records.remove(id);
            }
        }

        @Override
        public Payload finish(Path out) throws IOException {
            List<PayloadFile> files = new ArrayList<>();
            for (Map.Entry<String, TreeMap<String, VectorRecord>> tenant : tenants.entrySet()) {
                if (tenant.getValue().isEmpty()) {
                    continue;
                }
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                try (RecordFileWriter w = new RecordFileWriter(bytes, "tenant " + tenant.getKey(), RecordFileKind.FULL,
                        model.dimension())) {
                    for (VectorRecord r : tenant.getValue().values()) {
                        w.upsert(r);
                    }
                    w.finish();
                }
                byte[] content = bytes.toByteArray();
                String sha = ContentHash.sha256Hex(content);
                String name = "tenant-" + sha + ".nyr";
                Path tmp = out.resolve("." + name + ".tmp");
                Files.write(tmp, content);
                Files.move(tmp, out.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                files.add(new PayloadFile(name, content.length, sha, Compression.NONE, content.length));
            }
            return new Payload(KIND, Map.of(LAYOUT, layout), files);
        }

        @Override
        public void close() {
            // Nothing but the finished files is written.
        }
    }
}
