package dev.nyla.sync.lucene;

import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.internal.DurableFiles;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.GenerationSpec;
import dev.nyla.sync.store.GenerationWriter;
import dev.nyla.sync.store.StoreException;
import java.io.IOException;
import java.util.Map;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;

/**
 * Writes a generation of a {@link LuceneVectorStore} from records: from scratch (then merged into one
 * segment, one graph, the fastest to search), or on a base generation's files, adding a segment for the
 * changes the way Lucene does for updates.
 */
final class LuceneGenerationWriter implements GenerationWriter {
    private final LuceneVectorStore store;
    private final Generations.Work work;
    private final GenerationSpec spec;
    private final LuceneOptions writeOptions;
    private final boolean fromBase;
    private final Directory directory;
    private final IndexBuilder builder;
    private boolean done;

    LuceneGenerationWriter(LuceneVectorStore store, Generations.Work work, GenerationSpec spec,
                           LuceneOptions writeOptions, boolean fromBase) throws IOException {
        this.store = store;
        this.work = work;
        this.spec = spec;
        this.writeOptions = writeOptions;
        this.fromBase = fromBase;
        this.directory = FSDirectory.open(work.index());
        try {
            this.builder = new IndexBuilder(directory, spec.model(), writeOptions, fromBase,
                    store.location() + " generation " + work.id());
        } catch (IOException | RuntimeException e) {
            directory.close();
            throw e;
        }
    }

    @Override
    public void add(VectorRecord record) throws IOException {
        requireOpen();
        builder.add(record);
    }

    @Override
    public void delete(String tenant, String id) throws IOException {
        requireOpen();
        builder.delete(tenant, id);
    }

    @Override
    public long recordCount() {
        return builder.count();
    }

    @Override
    public Generation commit() throws IOException {
        requireOpen();
        done = true;
        try {
            long records = builder.commit(!fromBase, Map.of());
            directory.close();
            return store.publish(work, spec, records, writeOptions, CommitFacts.read(work.index(), writeOptions),
                    Map.of());
        } catch (IOException | RuntimeException e) {
            discard();
            throw e;
        }
    }

    @Override
    public void abort() throws IOException {
        if (!done) {
            done = true;
            discard();
        }
    }

    @Override
    public void close() throws IOException {
        abort();
    }

    private void requireOpen() throws StoreException {
        if (done) {
            throw new StoreException(store.location() + " generation " + work.id()
                    + ": the writer was already committed or aborted");
        }
    }

    private void discard() throws IOException {
        builder.abort();
        directory.close();
        DurableFiles.deleteRecursively(work.dir());
    }
}
