package dev.nyla.sync.publish;

import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.IntegrityException;
import dev.nyla.sync.MalformedArtifactException;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.artifact.DirectoryArtifactSource;
import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.artifact.internal.Artifacts;
import dev.nyla.sync.store.Compression;
import dev.nyla.sync.store.Payload;
import dev.nyla.sync.store.PayloadFile;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store-native payloads of one publication, fed in the same key-ordered pass that writes the records.
 *
 * <p>A payload whose previous version has one of the same kind, made by the same model, is built on it and
 * takes only the changes, so that the parts the changes do not touch keep their bytes (and names); clients
 * holding the previous version then download only the rest. Any other payload is built from every record.
 */
final class NativePayloads implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NativePayloads.class);

    /** One payload being built; {@code incremental} when it started from the previous version's. */
    private record Output(NativePayloadFormat format, NativePayloadBuilder builder, boolean incremental,
                          Optional<Payload> previous) {
    }

    private final List<Output> outputs = new ArrayList<>();

    private NativePayloads() {
    }

    /**
     * Starts one payload per format. {@code previous} and {@code previousDir} are null for a first version;
     * {@code sameModel} says whether the previous version's vectors are still valid; {@code compact} asks
     * payloads built on the previous version's for their most compact form ({@link NativePayloadFormat.Base}).
     *
     * @throws IntegrityException when a file of a previous payload to build on is missing or not as its
     *                            manifest describes it
     */
    static NativePayloads begin(List<NativePayloadFormat> formats, EmbeddingModel model, Manifest previous,
                                Path previousDir, boolean sameModel, boolean compact) throws IOException {
        NativePayloads payloads = new NativePayloads();
        try {
            for (NativePayloadFormat format : formats) {
                Optional<Payload> before = previous == null ? Optional.empty() : previous.nativePayload(format.kind());
                Optional<NativePayloadFormat.Base> base = Optional.empty();
                if (before.isPresent() && sameModel) {
                    verify(previousDir, before.get(), "file of the previous version's " + format.kind() + " payload");
                    base = Optional.of(new NativePayloadFormat.Base(before.get(), previousDir, compact));
                }
                LOG.info("{} payload: {}", format.kind(), base.isEmpty() ? "built from every record"
                        : compact ? "built on the previous version's, compacted" : "built on the previous version's");
                NativePayloadBuilder builder = format.begin(model, base);
                payloads.outputs.add(new Output(format, builder, base.isPresent(), before));
            }
        } catch (IOException | RuntimeException e) {
            payloads.closeAfter(e);
            throw e;
        }
        return payloads;
    }

    /** A record added or changed in this version. */
    void changed(VectorRecord record) throws IOException {
        for (Output o : outputs) {
            o.builder.add(record);
        }
    }

    /** A record carried over unchanged: news only to payloads built from scratch. */
    void unchanged(VectorRecord record) throws IOException {
        for (Output o : outputs) {
            if (!o.incremental) {
                o.builder.add(record);
            }
        }
    }

    /** A record of the previous version that is gone: news only to payloads built on it. */
    void deleted(String tenant, String id) throws IOException {
        for (Output o : outputs) {
            if (o.incremental) {
                o.builder.delete(tenant, id);
            }
        }
    }

    /**
     * Finishes every payload into {@code out} and checks what each builder wrote against what it described,
     * since the publisher signs those descriptions.
     */
    List<Payload> finish(Path out) throws IOException {
        List<Payload> done = new ArrayList<>();
        for (Output o : outputs) {
            Payload p = o.builder.finish(out);
            String kind = o.format.kind();
            if (!p.kind().equals(kind)) {
                throw new IllegalStateException(o.format.getClass().getName() + " of kind " + kind
                        + " finished a payload of kind " + p.kind());
            }
            for (PayloadFile f : p.files()) {
                // Clients hand native files to their store as stored, and hosts cache them forever by name.
                if (f.compression() != Compression.NONE || !f.name().contains(f.sha256())) {
                    throw new MalformedArtifactException(out + "/" + f.name(), kind + " payload file",
                            "uncompressed, its SHA-256 in its name", f.compression().wireName() + ", named " + f.name());
                }
            }
            verify(out, p, "file of the new " + kind + " payload");
            done.add(p);
        }
        return done;
    }

    /** The size of each finished payload, and how much of it is new since the previous version's. */
    List<PublishResult.NativeBytes> sizes(List<Payload> finished) {
        List<PublishResult.NativeBytes> sizes = new ArrayList<>();
        for (int i = 0; i < finished.size(); i++) {
            Set<String> held = outputs.get(i).previous.map(p -> p.files().stream().map(PayloadFile::sha256)
                    .collect(Collectors.toSet())).orElse(Set.of());
            long full = 0;
            long fresh = 0;
            for (PayloadFile f : finished.get(i).files()) {
                full += f.size();
                fresh += held.contains(f.sha256()) ? 0 : f.size();
            }
            sizes.add(new PublishResult.NativeBytes(finished.get(i).kind(), full, fresh));
        }
        return sizes;
    }

    /** Checks every file of {@code payload} in {@code dir}: present, of its size and SHA-256. */
    private static void verify(Path dir, Payload payload, String what) throws IOException {
        DirectoryArtifactSource source = new DirectoryArtifactSource(dir);
        for (PayloadFile f : payload.files()) {
            try {
                Artifacts.verifyFile(source, f);
            } catch (FileNotFoundException e) {
                throw new IntegrityException(source.describe(f.name()), what,
                        f.size() + " bytes with SHA-256 " + f.sha256(), "no such file");
            }
        }
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (Output o : outputs) {
            try {
                o.builder.close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    private void closeAfter(Exception failure) {
        try {
            close();
        } catch (IOException | RuntimeException e) {
            failure.addSuppressed(e);
        }
    }
}
