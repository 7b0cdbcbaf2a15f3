package dev.nyla.sync.publish;

import dev.nyla.sync.ArtifactException;
import dev.nyla.sync.ContentHash;
import dev.nyla.sync.DimensionMismatchException;
import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.InvalidVectorException;
import dev.nyla.sync.RecordKeys;
import dev.nyla.sync.SourceRecord;
import dev.nyla.sync.VectorEncoding;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.artifact.BadSignatureException;
import dev.nyla.sync.artifact.Delta;
import dev.nyla.sync.artifact.DirectoryArtifactSource;
import dev.nyla.sync.artifact.KeyDocument;
import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.artifact.Rollout;
import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.artifact.TrustRoot;
import dev.nyla.sync.artifact.internal.Artifacts;
import dev.nyla.sync.artifact.internal.ManifestCodec;
import dev.nyla.sync.artifact.internal.ManifestSignature;
import dev.nyla.sync.corpus.Corpus;
import dev.nyla.sync.corpus.SeedIndex;
import dev.nyla.sync.embed.Embedder;
import dev.nyla.sync.embed.EmbeddingException;
import dev.nyla.sync.internal.BuilderOptions;
import dev.nyla.sync.internal.RecordEntry;
import dev.nyla.sync.internal.RecordFileKind;
import dev.nyla.sync.internal.RecordFileReader;
import dev.nyla.sync.store.Compression;
import dev.nyla.sync.store.Payload;
import dev.nyla.sync.store.PayloadFile;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.zip.Deflater;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds signed artifact versions from a corpus: the publishing half of nyla-sync, usually run by CI.
 *
 * <p>A publication writes, into an output directory: the full payload as a record file (gzip and plain),
 * gzip-compressed deltas from the last {@linkplain Builder#deltaWindow versions} the site still holds, then
 * {@code manifest.json.sig} and {@code manifest.json}, the manifest last so that a host never names files it
 * does not have yet.
 *
 * <p>Store-native payloads ({@link Builder#nativePayload}), such as a prebuilt index, are written in the
 * same pass, beside the records that every client can install.
 *
 * <p>Incremental: given the previous version's directory, records whose content hash (text + metadata +
 * model fingerprint) did not change keep their previous vectors, so the embedder is called exactly for
 * the added and changed records. Deterministic: the same corpus, key, clock and settings give
 * byte-identical files.
 *
 * <pre>{@code
 * Publisher publisher = Publisher.builder()
 *         .signingKey(SigningKeys.readKeyPair(Path.of("release.key")))
 *         .embedder(embedder)
 *         .build();
 * PublishResult v2 = publisher.publish(Corpus.read(Path.of("docs")), Path.of("out/v2"), Path.of("out/v1"));
 * }</pre>
 */
public final class Publisher {
    private static final Logger LOG = LoggerFactory.getLogger(Publisher.class);
    /** Records buffered before embedding and writing; bounds memory whatever the corpus size. */
    private static final int WINDOW = 4096;
    /**
     * Batches of changed records gathered before embedding, so that they can be sorted by length: a model pads
     * every text of a batch to its longest, and batches of similar lengths waste little compute on padding.
     */
    private static final int BUCKETED_BATCHES = 16;
    /** The default {@link Builder#deltaWindow}. */
    public static final int DEFAULT_DELTA_WINDOW = 10;
    /**
     * The largest {@link Builder#deltaWindow}: each delta costs a pass over the new full payload when
     * publishing and an entry of about 400 bytes in every manifest.
     */
    public static final int MAX_DELTA_WINDOW = 100;

    private final KeyPair signingKey;
    private final List<PublicKey> previousKeys;
    private final Embedder embedder;
    private final Clock clock;
    private final String channel;
    private final String label;
    private final Duration expiresAfter;
    private final int rolloutPercent;
    private final int gzipLevel;
    private final int deltaWindow;
    private final int batchSize;
    private final PublishListener listener;
    private final List<NativePayloadFormat> nativeFormats;
    private final VectorEncoding vectorEncoding;
    private final boolean compactNativePayloads;

    private Publisher(Builder b) {
        this.signingKey = b.signingKey;
        this.previousKeys = List.copyOf(b.previousKeys);
        this.embedder = b.embedder;
        this.clock = b.clock;
        this.channel = b.channel;
        this.label = b.label;
        this.expiresAfter = b.expiresAfter;
        this.rolloutPercent = b.rolloutPercent;
        this.gzipLevel = b.gzipLevel;
        this.deltaWindow = b.deltaWindow;
        this.batchSize = b.batchSize > 0 ? b.batchSize : b.embedder == null ? 256 : b.embedder.preferredBatchSize();
        this.listener = b.listener;
        this.nativeFormats = List.copyOf(b.nativeFormats);
        this.vectorEncoding = b.vectorEncoding;
        this.compactNativePayloads = b.compactNativePayloads;
    }

    /** The front door: configure, then {@link Builder#build()}. */
    public static Builder builder() {
        return new Builder();
    }

    /** Publishes version 1 of {@code corpus} into {@code out}, embedding every record. */
    public PublishResult publish(Corpus corpus, Path out) throws IOException {
        return run(corpus.records(), requireEmbedder().model(), new EmbedderVectors(requireEmbedder()), out, null);
    }

    /**
     * Publishes the version after the one in {@code previous} (a directory written by a publisher, possibly
     * {@code out} itself), embedding only added and changed records and writing deltas from it and from the
     * earlier versions of its {@linkplain Builder#deltaWindow window} that it still holds.
     */
    public PublishResult publish(Corpus corpus, Path out, Path previous) throws IOException {
        Objects.requireNonNull(previous, "previous");
        return run(corpus.records(), requireEmbedder().model(), new EmbedderVectors(requireEmbedder()), out, previous);
    }

    /**
     * Publishes version 1 of records that already have vectors (an import, such as {@link SeedIndex}); no
     * embedder is needed.
     */
    public PublishResult publishRecords(List<VectorRecord> records, EmbeddingModel model, Path out) throws IOException {
        return publishRecords(records, model, out, null);
    }

    /**
     * Publishes records that already have vectors as the version after the one in {@code previous}, with
     * deltas as {@link #publish(Corpus, Path, Path)}.
     */
    public PublishResult publishRecords(List<VectorRecord> records, EmbeddingModel model, Path out, Path previous)
            throws IOException {
        List<SourceRecord> sources = new ArrayList<>(records.size());
        Map<String, float[]> vectors = new HashMap<>();
        for (VectorRecord r : records) {
            vectors.put(r.tenant() + '\u0000' + r.id(), r.vector());
            sources.add(new SourceRecord(r.tenant(), r.id(), r.text(), r.metadata()));
        }
        // Corpus.of sorts and refuses duplicate keys, as for any corpus.
        List<SourceRecord> sorted = Corpus.of(sources).records();
        VectorSupplier lookup = pending -> {
            List<float[]> out2 = new ArrayList<>(pending.size());
            pending.forEach(s -> out2.add(vectors.get(s.tenant() + '\u0000' + s.id())));
            return out2;
        };
        return run(sorted, model, lookup, out, previous);
    }

    private Embedder requireEmbedder() {
        if (embedder == null) {
            throw new IllegalStateException("this publisher has no embedder: set one with Publisher.builder().embedder(...)");
        }
        return embedder;
    }

    /** Supplies vectors for records that need new ones, in order. */
    @FunctionalInterface
    private interface VectorSupplier {
        List<float[]> vectors(List<SourceRecord> pending) throws IOException;
    }

    private record EmbedderVectors(Embedder embedder) implements VectorSupplier {
        @Override
        public List<float[]> vectors(List<SourceRecord> pending) throws IOException {
            List<String> texts = new ArrayList<>(pending.size());
            pending.forEach(s -> texts.add(s.text()));
            return embedder.embed(texts);
        }
    }

    /** What happened to one key of the union of previous and current records. */
    private enum Change { ADDED, UPDATED, UNCHANGED, DELETED }

    private static final class Item {
        final Change change;
        final String tenant;
        final String id;
        final SourceRecord source;
        VectorRecord record;

        Item(Change change, String tenant, String id, SourceRecord source, VectorRecord record) {
            this.change = change;
            this.tenant = tenant;
            this.id = id;
            this.source = source;
            this.record = record;
        }
    }

    private PublishResult run(List<SourceRecord> records, EmbeddingModel model, VectorSupplier supplier, Path out,
                              Path previousDir) throws IOException {
        Files.createDirectories(out);
        SiteKeys siteKeys = SiteKeys.read(previousDir == null ? out : previousDir);
        requireCurrentKey(siteKeys, previousDir == null ? out : previousDir);
        List<PublicKey> trustedKeys = trustedKeys(siteKeys);
        Manifest previous = previousDir == null ? null : readPrevious(previousDir, trustedKeys);
        long version = previous == null ? 1 : previous.version() + 1;
        boolean sameModel = previous != null && previous.model().fingerprint().equals(model.fingerprint())
                && previous.model().dimension() == model.dimension();
        if (previous != null && !sameModel) {
            LOG.info("model changed from {} to {}: every record is re-embedded", previous.model().fingerprint(),
                    model.fingerprint());
        }
        // A changed encoding changes vectors but no content hash: a delta (or a native payload built on the
        // previous one) would keep the old values of unchanged records, so there is none. Vectors read back
        // from float16 lost digits that float32 keeps: going back to float32 re-embeds every record.
        boolean sameEncoding = previous != null && previous.vectorEncoding() == vectorEncoding;
        if (sameModel && !sameEncoding) {
            LOG.info("vector encoding changed from {} to {}: no delta from versions of the previous encoding{}", previous.vectorEncoding().wireName(),
                    vectorEncoding.wireName(), previous.vectorEncoding() == VectorEncoding.F32 ? ""
                            : " and every record is re-embedded");
        }
        boolean reuseVectors = sameModel && (sameEncoding || previous.vectorEncoding() == VectorEncoding.F32);
        boolean buildOnPrevious = sameModel && sameEncoding;
        String fingerprint = model.fingerprint();
        long[] counts = new long[Change.values().length];
        long embedded = 0;
        long tenants = 0;
        String lastTenant = null;
        List<PayloadFile> fullFiles;
        List<Payload> nativePayloads;
        List<PublishResult.NativeBytes> nativeBytes;
        LOG.info("publishing version {} of channel {}: {} records, model {}", version, channel, records.size(), model.id());
        Progress progress = new Progress(records.size(), listener == PublishListener.NONE ? 0
                : toEmbed(records, previous, previousDir, reuseVectors, fingerprint));
        listener.embeddingStarted(progress.toEmbed);
        try (EncodedRecordFile full = new EncodedRecordFile(out, "records", RecordFileKind.FULL, model.dimension(),
                vectorEncoding, gzipLevel);
             RecordFileReader prev = previous == null ? null : Artifacts.openRecordFile(
                     new DirectoryArtifactSource(previousDir), plainFirst(previous.payload().files()),
                     previous.model().dimension(), previous.vectorEncoding());
             NativePayloads natives = NativePayloads.begin(nativeFormats, model, previous, previousDir, buildOnPrevious,
                     compactNativePayloads)) {
            VectorRecord prevRecord = nextUpsert(prev);
            List<Item> window = new ArrayList<>();
            List<Item> pending = new ArrayList<>();
            for (SourceRecord s : records) {
                while (prevRecord != null && RecordKeys.compare(prevRecord.tenant(), prevRecord.id(), s.tenant(), s.id()) < 0) {
                    window.add(new Item(Change.DELETED, prevRecord.tenant(), prevRecord.id(), null, null));
                    prevRecord = nextUpsert(prev);
                    if (window.size() >= WINDOW) {
                        embedded += flush(window, pending, supplier, model, full, natives, counts, progress);
                    }
                }
                String hash = s.contentHash(fingerprint);
                Item item;
                if (prevRecord != null && prevRecord.tenant().equals(s.tenant()) && prevRecord.id().equals(s.id())) {
                    if (reuseVectors && prevRecord.contentHash().equals(hash)) {
                        item = new Item(Change.UNCHANGED, s.tenant(), s.id(), s, sameEncoding ? prevRecord
                                : prevRecord.withVector(vectorEncoding.round(prevRecord.vector(), s.tenant() + "/" + s.id())));
                    } else {
                        item = new Item(Change.UPDATED, s.tenant(), s.id(), s, null);
                    }
                    prevRecord = nextUpsert(prev);
                } else {
                    item = new Item(Change.ADDED, s.tenant(), s.id(), s, null);
                }
                if (!s.tenant().equals(lastTenant)) {
                    tenants++;
                    lastTenant = s.tenant();
                }
                window.add(item);
                if (item.record == null) {
                    pending.add(item);
                }
                if (pending.size() >= batchSize * BUCKETED_BATCHES || window.size() >= WINDOW) {
                    embedded += flush(window, pending, supplier, model, full, natives, counts, progress);
                }
            }
            while (prevRecord != null) {
                window.add(new Item(Change.DELETED, prevRecord.tenant(), prevRecord.id(), null, null));
                prevRecord = nextUpsert(prev);
                if (window.size() >= WINDOW) {
                    embedded += flush(window, pending, supplier, model, full, natives, counts, progress);
                }
            }
            embedded += flush(window, pending, supplier, model, full, natives, counts, progress);
            fullFiles = full.finish();
            nativePayloads = natives.finish(out);
            nativeBytes = natives.sizes(nativePayloads);
        }
        List<Delta> deltas = previous == null ? List.of()
                : writeDeltas(previous, previousDir, model, out, fullFiles, trustedKeys);
        Instant created = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        Manifest manifest = new Manifest(Manifest.formatVersionFor(vectorEncoding), channel, version,
                label.isEmpty() ? "v" + version : label, created, created.plus(expiresAfter), model, vectorEncoding,
                new Payload(Payload.RECORDS, Map.of(), fullFiles), nativePayloads, records.size(), tenants, deltas,
                new Rollout(rolloutPercent, salt(channel, version)));
        if (previousDir != null && !Files.isSameFile(previousDir, out)) {
            // Before the manifest: clients need the documents that trust its key.
            siteKeys.copyTo(out);
        }
        byte[] manifestBytes = ManifestCodec.write(manifest);
        byte[] signature = ManifestSignature.sign(manifestBytes, signingKey);
        writeAtomically(out.resolve(Manifest.SIGNATURE_FILE_NAME), signature);
        writeAtomically(out.resolve(Manifest.FILE_NAME), manifestBytes);
        recordHistory(out, previousDir, previous, version, manifestBytes, signature);
        PublishResult result = new PublishResult(manifest, out, counts[Change.ADDED.ordinal()],
                counts[Change.UPDATED.ordinal()], counts[Change.UNCHANGED.ordinal()], counts[Change.DELETED.ordinal()],
                embedded, Artifacts.preferredEncoding(fullFiles).size(), plainFirst(fullFiles).size(),
                deltas.stream().filter(d -> d.fromVersion() == version - 1).findFirst()
                        .map(d -> Artifacts.preferredEncoding(d.files()).size()).orElse(0L), nativeBytes);
        LOG.info("published version {}: {} added, {} updated, {} unchanged, {} deleted, {} embedded", version,
                result.added(), result.updated(), result.unchanged(), result.deleted(), result.embedded());
        return result;
    }

    /**
     * Embeds the pending records of the window in batches of similar text length, then writes the whole window
     * in key order.
     */
    private long flush(List<Item> window, List<Item> pending, VectorSupplier supplier, EmbeddingModel model,
                       EncodedRecordFile full, NativePayloads natives, long[] counts, Progress progress)
            throws IOException {
        int[] byLength = LengthOrder.of(pending, i -> i.source.text());
        for (int from = 0; from < byLength.length; from += batchSize) {
            int to = Math.min(byLength.length, from + batchSize);
            List<SourceRecord> sources = new ArrayList<>(to - from);
            for (int k = from; k < to; k++) {
                sources.add(pending.get(byLength[k]).source);
            }
            List<float[]> vectors = supplier.vectors(sources);
            if (vectors.size() != sources.size()) {
                throw new EmbeddingException("embedder " + model.id(), "vectors returned for a batch", sources.size(),
                        vectors.size());
            }
            for (int k = from; k < to; k++) {
                // Back to the record it was embedded for: the batch was in length order, the window is in key order.
                Item item = pending.get(byLength[k]);
                item.record = checkedRecord(item.source, vectors.get(k - from), model);
            }
            progress.embedded += sources.size();
            listener.embedded(progress.embedded, progress.toEmbed);
        }
        for (Item item : window) {
            counts[item.change.ordinal()]++;
            switch (item.change) {
                case DELETED -> natives.deleted(item.tenant, item.id);
                case UNCHANGED -> {
                    full.upsert(item.record);
                    natives.unchanged(item.record);
                }
                case ADDED, UPDATED -> {
                    full.upsert(item.record);
                    natives.changed(item.record);
                }
            }
        }
        long embedded = pending.size();
        window.clear();
        pending.clear();
        listener.recordsWritten(full.upserts(), progress.records);
        return embedded;
    }

    private VectorRecord checkedRecord(SourceRecord s, float[] v, EmbeddingModel model) throws IOException {
        String subject = "embedding of " + s.tenant() + "/" + s.id() + " by " + model.id();
        if (v == null || v.length != model.dimension()) {
            throw new DimensionMismatchException(subject, model.dimension(), v == null ? 0 : v.length);
        }
        for (int d = 0; d < v.length; d++) {
            if (!Float.isFinite(v[d])) {
                throw new InvalidVectorException(subject, d, v[d]);
            }
        }
        // Rounded once, here, before the vector goes anywhere: every payload then holds the same
        // values, and carrying it over to the next version round-trips exactly.
        v = vectorEncoding.round(v, subject);
        // After rounding: a float16 rounding can turn a tiny vector into the zero vector.
        model.similarity().requireDirection(v, subject);
        return s.toVectorRecord(v, model.fingerprint());
    }

    /** What the listener is told: records of the corpus, records to embed, and records embedded so far. */
    private static final class Progress {
        final long records;
        final long toEmbed;
        long embedded;

        Progress(long records, long toEmbed) {
            this.records = records;
            this.toEmbed = toEmbed;
        }
    }

    /**
     * How many records the publication will embed: all of them without previous vectors to reuse (no previous
     * version, another model, float16 before float32 now), else those whose key is new or whose content hash
     * changed. A streaming merge of the sorted records with the previous full payload, as the publication
     * itself does, so memory stays one record whatever the size.
     */
    private static long toEmbed(List<SourceRecord> records, Manifest previous, Path previousDir, boolean reuseVectors,
                                String fingerprint) throws IOException {
        if (previous == null || !reuseVectors) {
            return records.size();
        }
        long count = 0;
        try (RecordFileReader prev = Artifacts.openRecordFile(new DirectoryArtifactSource(previousDir),
                plainFirst(previous.payload().files()), previous.model().dimension(), previous.vectorEncoding())) {
            VectorRecord p = nextUpsert(prev);
            for (SourceRecord s : records) {
                while (p != null && RecordKeys.compare(p.tenant(), p.id(), s.tenant(), s.id()) < 0) {
                    p = nextUpsert(prev);
                }
                if (p != null && p.tenant().equals(s.tenant()) && p.id().equals(s.id())) {
                    if (!p.contentHash().equals(s.contentHash(fingerprint))) {
                        count++;
                    }
                    p = nextUpsert(prev);
                } else {
                    count++;
                }
            }
        }
        return count;
    }

    /**
     * The deltas of the new version, newest base first: one from each version of the window that the
     * previous directory still holds (see {@link DeltaWindow}), each an exact difference of full payloads
     * computed from the files, after the new full payload is written.
     */
    private List<Delta> writeDeltas(Manifest previous, Path previousDir, EmbeddingModel model, Path out,
                                    List<PayloadFile> fullFiles,
                                    List<PublicKey> trustedKeys) throws IOException {
        if (deltaWindow == 0) {
            return List.of();
        }
        DeltaWriter writer = new DeltaWriter(out, model.dimension(), vectorEncoding, gzipLevel);
        PayloadFile current = plainFirst(fullFiles);
        List<Delta> deltas = new ArrayList<>();
        for (DeltaWindow.Base base : DeltaWindow.bases(previous, previousDir, deltaWindow, model, vectorEncoding,
                trustedKeys)) {
            writer.write(base, current).ifPresent(deltas::add);
        }
        return deltas;
    }

    /**
     * The keys accepted on the site's earlier manifests: the signing key, the keys given to
     * {@link Builder#trustPreviousKey}, and the keys of the site's newest key document when the signing key
     * signed it (a key it rotated from, unless revoked).
     */
    private List<PublicKey> trustedKeys(SiteKeys siteKeys) throws IOException {
        Set<PublicKey> trusted = new LinkedHashSet<>(previousKeys);
        trusted.add(signingKey.getPublic());
        trusted.addAll(siteKeys.endorsedBy(signingKey.getPublic()));
        return List.copyOf(trusted);
    }

    /** Refuses a signing key that clients following the site's key documents would refuse. */
    private void requireCurrentKey(SiteKeys siteKeys, Path site) throws BadSignatureException {
        Optional<TrustRoot> latest = siteKeys.latest();
        PublicKey key = signingKey.getPublic();
        if (latest.isPresent() && !latest.get().keys().contains(key)) {
            String id = SigningKeys.keyId(key);
            Long revokedIn = latest.get().revoked().get(id);
            throw new BadSignatureException(site.resolve(KeyDocument.fileName(latest.get().version())).toString(),
                    "signing key", "one of " + latest.get().describe() + " (clients that follow the site's key "
                    + "documents refuse manifests signed by any other)", "key " + id + (revokedIn == null
                    ? " (add it with rotate-key first)" : ", revoked in key document " + revokedIn));
        }
    }

    private Manifest readPrevious(Path previousDir, List<PublicKey> trustedKeys) throws IOException {
        Manifest previous = Artifacts.fetchVerifiedManifest(new DirectoryArtifactSource(previousDir), trustedKeys);
        if (!previous.channel().equals(channel)) {
            throw new ArtifactException(previousDir + "/" + Manifest.FILE_NAME, "channel of the previous version", channel,
                    previous.channel());
        }
        // Its payload is records, as in every manifest; its native payloads, if any, are checked when built on.
        return previous;
    }

    /**
     * Adds the new version to the site's history, after the live manifest: a publication cut off before this
     * line is recorded by the next one, from the previous version's live manifest, which is also how sites
     * published before the history existed get theirs.
     */
    private static void recordHistory(Path out, Path previousDir, Manifest previous, long version, byte[] manifest,
                                      byte[] signature) throws IOException {
        SiteHistory history = new SiteHistory(out);
        if (previous != null && !history.versions().contains(previous.version())) {
            history.record(previous.version(), Files.readAllBytes(previousDir.resolve(Manifest.FILE_NAME)),
                    Files.readAllBytes(previousDir.resolve(Manifest.SIGNATURE_FILE_NAME)));
        }
        history.record(version, manifest, signature);
    }

    private static VectorRecord nextUpsert(RecordFileReader reader) throws IOException {
        return reader == null ? null : nextUpsert(reader, "previous full payload");
    }

    /**
     * The next record of a full payload, null at its end.
     *
     * @param subject what the file is, for the message when it holds a deletion
     */
    static VectorRecord nextUpsert(RecordFileReader reader, String subject) throws IOException {
        Optional<RecordEntry> e = reader.next();
        if (e.isEmpty()) {
            return null;
        }
        if (!(e.get() instanceof RecordEntry.Upsert upsert)) {
            throw new ArtifactException(subject, "entry " + e.get().tenant() + "/" + e.get().id(),
                    "an upsert", "a deletion (is the manifest pointing at a delta?)");
        }
        return upsert.record();
    }

    /** Reading a local previous version is fastest without decompression. */
    private static PayloadFile plainFirst(List<PayloadFile> files) {
        return files.stream().filter(f -> f.compression() == Compression.NONE).findFirst().orElse(files.get(0));
    }

    private static String salt(String channel, long version) {
        byte[] d = ContentHash.sha256().digest((channel + ":" + version).getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(d, 0, 8);
    }

    private static void writeAtomically(Path target, byte[] bytes) throws IOException {
        Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(java.nio.ByteBuffer.wrap(bytes));
            ch.force(true);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * Configures a {@link Publisher}; {@link #signingKey} is required, {@link #embedder} for corpora. Each
     * option is set once: calling a setter a second time throws an {@link IllegalStateException} naming the
     * option and its value, rather than silently replacing it; a bad value throws an
     * {@link IllegalArgumentException} naming the option. {@link #trustPreviousKey} and {@link #nativePayload}
     * add one more each call.
     */
    public static final class Builder {
        private final BuilderOptions options = new BuilderOptions("Publisher.Builder");
        private KeyPair signingKey;
        private final List<PublicKey> previousKeys = new ArrayList<>();
        private Embedder embedder;
        private Clock clock = Clock.systemUTC();
        private String channel = "stable";
        private String label = "";
        private Duration expiresAfter = Duration.ofDays(30);
        private int rolloutPercent = 100;
        private int gzipLevel = Deflater.DEFAULT_COMPRESSION;
        private int deltaWindow = DEFAULT_DELTA_WINDOW;
        private int batchSize;
        private PublishListener listener = PublishListener.NONE;
        private final List<NativePayloadFormat> nativeFormats = new ArrayList<>();
        private VectorEncoding vectorEncoding = VectorEncoding.F32;
        private boolean compactNativePayloads;

        private Builder() {
        }

        /** The Ed25519 key pair that signs manifests (required). */
        public Builder signingKey(KeyPair keys) {
            this.signingKey = options.once("signingKey", keys);
            return this;
        }

        /** Further keys accepted on the previous version's manifest, for key rotation. */
        public Builder trustPreviousKey(PublicKey key) {
            previousKeys.add(Objects.requireNonNull(key, "key"));
            return this;
        }

        /** The embedder for corpora; its model is recorded in the manifest. */
        public Builder embedder(Embedder embedder) {
            this.embedder = options.once("embedder", embedder);
            return this;
        }

        /** The clock for created-at and expires-at; fixed clocks make publications reproducible. */
        public Builder clock(Clock clock) {
            this.clock = options.once("clock", clock);
            return this;
        }

        /** The release channel, default {@code stable}. */
        public Builder channel(String channel) {
            if (channel == null || !channel.matches("[a-z0-9][a-z0-9._-]{0,63}")) {
                throw new IllegalArgumentException("channel: expected 1..64 of a-z 0-9 . _ - but was '" + channel + "'");
            }
            this.channel = options.once("channel", channel);
            return this;
        }

        /** The version's human-readable label; default {@code v<version>}. */
        public Builder label(String label) {
            this.label = options.once("label", label);
            return this;
        }

        /** How long clients accept the manifest, default 30 days: republish before then. */
        public Builder expiresAfter(Duration duration) {
            if (duration == null || duration.isNegative() || duration.isZero()) {
                throw new IllegalArgumentException("expiresAfter: expected a positive duration but was " + duration);
            }
            this.expiresAfter = options.once("expiresAfter", duration);
            return this;
        }

        /** The share of clients that take this version, 0..100, default 100. */
        public Builder rolloutPercent(int percent) {
            if (percent < 0 || percent > 100) {
                throw new IllegalArgumentException("rolloutPercent: expected 0..100 but was " + percent);
            }
            this.rolloutPercent = options.once("rolloutPercent", percent);
            return this;
        }

        /** gzip level 0..9 for the compressed payload, default 6. */
        public Builder gzipLevel(int level) {
            this.gzipLevel = options.once("gzipLevel", EncodedRecordFile.checkLevel(level));
            return this;
        }

        /**
         * How many versions back a client can be and still download only what changed: a new version
         * carries a delta from each of the last {@code versions} versions whose full payload the previous
         * directory still holds, with the same model (see {@code docs/artifact-format.md}). Default
         * {@value Publisher#DEFAULT_DELTA_WINDOW}, at most {@value Publisher#MAX_DELTA_WINDOW}; 0 writes no deltas.
         */
        public Builder deltaWindow(int versions) {
            if (versions < 0 || versions > MAX_DELTA_WINDOW) {
                throw new IllegalArgumentException("deltaWindow: expected 0.." + MAX_DELTA_WINDOW + " versions but was "
                        + versions);
            }
            this.deltaWindow = options.once("deltaWindow", versions);
            return this;
        }

        /** Texts per embedder call; default the embedder's preferred batch size. */
        public Builder batchSize(int size) {
            if (size < 1 || size > 65_536) {
                throw new IllegalArgumentException("batchSize: expected 1..65536 but was " + size);
            }
            this.batchSize = options.once("batchSize", size);
            return this;
        }

        /**
         * How the records payload and deltas store vectors, default {@link VectorEncoding#F32}.
         * {@link VectorEncoding#F16} halves their bytes: every vector is rounded to float16 once, before it
         * is written anywhere (native payloads included), and a component too large for float16 is refused
         * with an {@link InvalidVectorException}. Its manifests have format version 2, which clients of
         * releases before float16 support refuse before downloading. A version whose encoding differs from
         * the previous one's has no delta.
         */
        public Builder vectorEncoding(VectorEncoding encoding) {
            this.vectorEncoding = options.once("vectorEncoding", encoding);
            return this;
        }

        /** Progress callbacks, default none. */
        public Builder listener(PublishListener listener) {
            this.listener = options.listener("listener", listener);
            return this;
        }

        /**
         * Adds a store-native payload of {@code format}'s kind to every version, beside the portable records
         * (see {@code docs/artifact-format.md}); call once for each kind. When the previous version has a
         * payload of the kind and the same model, the new one is built on it, so that clients download only
         * the files that changed.
         *
         * @throws IllegalArgumentException when the kind is {@value Payload#RECORDS} or was added already
         */
        public Builder nativePayload(NativePayloadFormat format) {
            Objects.requireNonNull(format, "format");
            String kind = format.kind();
            if (kind == null || kind.isBlank() || Payload.RECORDS.equals(kind)
                    || nativeFormats.stream().anyMatch(f -> f.kind().equals(kind))) {
                throw new IllegalArgumentException("native payload kind: expected a store-native kind not added before, "
                        + "not '" + Payload.RECORDS + "', but was '" + kind + "'");
            }
            nativeFormats.add(format);
            return this;
        }

        /**
         * Whether the store-native payloads built on the previous version's are rewritten into their most
         * compact form (a Lucene index: one segment without deleted documents), default false. Clients then
         * download them in full once; by default a payload takes the fewest changed files and its format
         * bounds its growth on its own ({@code docs/lucene-store.md}). For after a large change, or before a
         * release many new clients will download.
         */
        public Builder compactNativePayloads(boolean compact) {
            this.compactNativePayloads = options.once("compactNativePayloads", compact);
            return this;
        }

        /**
         * @throws IllegalStateException when no signing key was set
         */
        public Publisher build() {
            if (signingKey == null) {
                throw new IllegalStateException("a publisher needs a signing key: Publisher.builder().signingKey("
                        + "SigningKeys.readKeyPair(path)) — make one with SigningKeys.generate() or 'nyla keygen'");
            }
            return new Publisher(this);
        }
    }
}
