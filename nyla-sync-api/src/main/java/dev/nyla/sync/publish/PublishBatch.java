package dev.nyla.sync.publish;

import dev.nyla.sync.DimensionMismatchException;
import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.InvalidVectorException;
import dev.nyla.sync.SourceRecord;
import dev.nyla.sync.VectorEncoding;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.embed.Embedder;
import dev.nyla.sync.embed.EmbeddingException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The records of one publication on their way into its payloads: a window of records in key order, whose
 * added and changed ones are embedded in batches of similar text length, after which the whole window is
 * written in key order to the full record file and the native payloads. The window bounds memory whatever the
 * corpus size. {@link Publisher} feeds it from the merge of the corpus with the previous version.
 */
final class PublishBatch {
    /** Records buffered before embedding and writing. */
    private static final int WINDOW = 4096;
    /**
     * Batches of changed records gathered before embedding, so that they can be sorted by length: a model pads
     * every text of a batch to its longest, and batches of similar lengths waste little compute on padding.
     */
    private static final int BUCKETED_BATCHES = 16;

    /** Supplies vectors for records that need new ones, in order. */
    @FunctionalInterface
    interface VectorSupplier {
        List<float[]> vectors(List<SourceRecord> pending) throws IOException;
    }

    /** Vectors from an embedder, of the records' texts. */
    record EmbedderVectors(Embedder embedder) implements VectorSupplier {
        @Override
        public List<float[]> vectors(List<SourceRecord> pending) throws IOException {
            List<String> texts = new ArrayList<>(pending.size());
            pending.forEach(s -> texts.add(s.text()));
            return embedder.embed(texts);
        }
    }

    /** What happened to one key of the union of previous and current records. */
    enum Change { ADDED, UPDATED, UNCHANGED, DELETED }

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

    private final VectorSupplier supplier;
    private final EmbeddingModel model;
    private final VectorEncoding encoding;
    private final int batchSize;
    private final PublishListener listener;
    private final EncodedRecordFile full;
    private final NativePayloads natives;
    private final long records;
    private final long toEmbed;
    private final long[] counts = new long[Change.values().length];
    private final List<Item> window = new ArrayList<>();
    private final List<Item> pending = new ArrayList<>();
    private long embedded;

    /**
     * @param records the corpus's size and {@code toEmbed} how many of its records need a vector, for the
     *                listener's progress
     */
    PublishBatch(VectorSupplier supplier, EmbeddingModel model, VectorEncoding encoding, int batchSize,
                 PublishListener listener, EncodedRecordFile full, NativePayloads natives, long records, long toEmbed) {
        this.supplier = supplier;
        this.model = model;
        this.encoding = encoding;
        this.batchSize = batchSize;
        this.listener = listener;
        this.full = full;
        this.natives = natives;
        this.records = records;
        this.toEmbed = toEmbed;
    }

    /** A record of the previous version that the corpus no longer has. */
    void deleted(String tenant, String id) throws IOException {
        window.add(new Item(Change.DELETED, tenant, id, null, null));
        if (window.size() >= WINDOW) {
            flush();
        }
    }

    /** A record whose content hash is the previous version's: its vector {@code reused} is carried over. */
    void unchanged(SourceRecord source, VectorRecord reused) throws IOException {
        add(new Item(Change.UNCHANGED, source.tenant(), source.id(), source, reused));
    }

    /** A record new to this version ({@code added}) or changed since the previous one: it is embedded. */
    void changed(SourceRecord source, boolean added) throws IOException {
        add(new Item(added ? Change.ADDED : Change.UPDATED, source.tenant(), source.id(), source, null));
    }

    private void add(Item item) throws IOException {
        window.add(item);
        if (item.record == null) {
            pending.add(item);
        }
        if (pending.size() >= batchSize * BUCKETED_BATCHES || window.size() >= WINDOW) {
            flush();
        }
    }

    /**
     * Embeds the pending records of the window in batches of similar text length, then writes the whole window
     * in key order.
     */
    void flush() throws IOException {
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
                item.record = checkedRecord(item.source, vectors.get(k - from));
            }
            embedded += sources.size();
            listener.embedded(embedded, toEmbed);
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
        window.clear();
        pending.clear();
        listener.recordsWritten(full.upserts(), records);
    }

    /** How many keys were written with this change so far. */
    long count(Change change) {
        return counts[change.ordinal()];
    }

    /** How many records were embedded so far. */
    long embedded() {
        return embedded;
    }

    private VectorRecord checkedRecord(SourceRecord s, float[] v) throws IOException {
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
        v = encoding.round(v, subject);
        // After rounding: a float16 rounding can turn a tiny vector into the zero vector.
        model.similarity().requireDirection(v, subject);
        return s.toVectorRecord(v, model.fingerprint());
    }
}
