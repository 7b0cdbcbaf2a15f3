package dev.nyla.sync.client;

import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.NylaSyncException;
import dev.nyla.sync.SourceRecord;
import dev.nyla.sync.embed.Embedder;
import dev.nyla.sync.corpus.Corpus;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.GenerationSpec;
import dev.nyla.sync.store.GenerationWriter;
import dev.nyla.sync.store.VectorStore;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * The last route, {@link InstallRoute#LOCAL_REBUILD}: with nothing installed and no artifact installable,
 * the corpus bundled with the app is embedded on the client into a generation of version 0, so that search
 * works offline from the first start. It downloads nothing.
 */
final class LocalRebuild {
    private final VectorStore store;
    private final Corpus corpus;
    private final Embedder embedder;
    private final SyncEvents events;

    LocalRebuild(VectorStore store, Corpus corpus, Embedder embedder, SyncEvents events) {
        this.store = store;
        this.corpus = corpus;
        this.embedder = embedder;
        this.events = events;
    }

    /** Embeds the corpus in the embedder's batches into a new generation, committed but not active. */
    Generation build(SyncRun run) throws IOException {
        EmbeddingModel model = embedder.model();
        run.step(InstallRoute.LOCAL_REBUILD + ": embedding " + corpus.size() + " records with " + model.id());
        events.emit(l -> l.routeStarted(InstallRoute.LOCAL_REBUILD, 0));
        List<SourceRecord> records = corpus.records();
        int batch = Math.max(1, embedder.preferredBatchSize());
        try (GenerationWriter writer = store.newGeneration(new GenerationSpec(0, "local rebuild", model,
                Map.of("route", InstallRoute.LOCAL_REBUILD.name())))) {
            for (int from = 0; from < records.size(); from += batch) {
                List<SourceRecord> slice = records.subList(from, Math.min(records.size(), from + batch));
                List<float[]> vectors = embedder.embed(slice.stream().map(SourceRecord::text).toList());
                if (vectors.size() != slice.size()) {
                    throw new NylaSyncException(model.id(), "vectors returned for a batch", slice.size(), vectors.size());
                }
                for (int i = 0; i < slice.size(); i++) {
                    writer.add(slice.get(i).toVectorRecord(vectors.get(i), model.fingerprint()));
                }
                long done = from + slice.size();
                events.emit(l -> l.installProgress(done, records.size(), (int) (done * 100 / records.size())));
            }
            return writer.commit();
        }
    }
}
