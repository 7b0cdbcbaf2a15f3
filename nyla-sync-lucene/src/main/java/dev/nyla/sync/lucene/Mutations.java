package dev.nyla.sync.lucene;

import dev.nyla.sync.DimensionMismatchException;
import dev.nyla.sync.RecordKeys;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.store.WriteResult;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;

/**
 * Mutable mode: upserts and deletes applied to the active generation through an {@link IndexWriter} opened at
 * the first mutation, each batch committed before it returns and the served reader refreshed to it. Callers
 * hold the store's write lock, and {@link #close} the writer before another generation becomes active.
 */
final class Mutations {
    private final String location;
    private final Serving.Manager manager;
    /** The writer of the active generation, opened at the first mutation. */
    private IndexWriter writer;
    private Directory directory;

    Mutations(String location, Serving.Manager manager) {
        this.location = location;
        this.manager = manager;
    }

    /** Inserts or replaces {@code records} in {@code active}, whose index is in {@code index}, and commits. */
    WriteResult upsert(GenerationInfo active, Path index, List<VectorRecord> records) throws IOException {
        for (VectorRecord r : records) {
            if (r.vector().length != active.generation().model().dimension()) {
                throw new DimensionMismatchException("vector of " + r.tenant() + "/" + r.id() + " for " + location,
                        active.generation().model().dimension(), r.vector().length);
            }
        }
        return apply(active, index, (writer, reader) -> {
            int inserted = 0;
            int updated = 0;
            Set<String> seen = new HashSet<>();
            for (VectorRecord r : records) {
                // A key repeated within the batch replaces its first occurrence: an update.
                if (seen.add(r.tenant() + '\u0000' + r.id()) && !exists(reader, r.tenant(), r.id())) {
                    inserted++;
                } else {
                    updated++;
                }
                writer.updateDocument(Schema.keyTerm(r.tenant(), r.id()), Schema.document(r,
                        active.generation().model().fingerprint(), active.generation().model().similarity()));
            }
            return WriteResult.upserted(inserted, updated);
        });
    }

    /** Deletes the records of {@code tenant} with {@code ids} from {@code active}; commits when any was found. */
    WriteResult delete(GenerationInfo active, Path index, String tenant, Collection<String> ids) throws IOException {
        for (String id : ids) {
            RecordKeys.requireValid(tenant, id);
        }
        return apply(active, index, (writer, reader) -> {
            int deleted = 0;
            int notFound = 0;
            Set<String> gone = new HashSet<>();
            for (String id : ids) {
                if (!gone.contains(id) && exists(reader, tenant, id)) {
                    gone.add(id);
                    writer.deleteDocuments(Schema.keyTerm(tenant, id));
                    deleted++;
                } else {
                    notFound++;
                }
            }
            return WriteResult.deleted(deleted, notFound);
        });
    }

    /** Changes made through the writer, counted against a reader of what it holds before them. */
    @FunctionalInterface
    private interface Batch {
        WriteResult apply(IndexWriter writer, DirectoryReader before) throws IOException;
    }

    /** Applies {@code batch} and commits it when it changed anything; a failed batch leaves nothing pending. */
    private WriteResult apply(GenerationInfo active, Path index, Batch batch) throws IOException {
        IndexWriter writer = writer(active, index);
        try {
            WriteResult result;
            try (DirectoryReader reader = DirectoryReader.open(writer)) {
                result = batch.apply(writer, reader);
            }
            // A batch that changed nothing has nothing to commit (Lucene skips such a commit anyway).
            if (result.written() + result.deleted() > 0) {
                writer.commit();
                manager.maybeRefreshBlocking();
            }
            return result;
        } catch (IOException | RuntimeException e) {
            // Nothing of a failed batch may reach the next one's commit.
            close();
            throw e;
        }
    }

    private IndexWriter writer(GenerationInfo active, Path index) throws IOException {
        if (writer != null && !writer.isOpen()) {
            // Closed by a tragic failure of its own: start over from the last commit.
            close();
        }
        if (writer == null) {
            Directory dir = FSDirectory.open(index);
            try {
                writer = new IndexWriter(dir, IndexBuilder.boundHeap(new IndexWriterConfig()
                        .setOpenMode(IndexWriterConfig.OpenMode.APPEND)
                        .setCodec(IndexBuilder.codec(active.writeOptions(), null))
                        .setIndexSort(Schema.INDEX_SORT)
                        .setCommitOnClose(false), active.writeOptions()));
            } catch (IOException | RuntimeException e) {
                dir.close();
                throw e;
            }
            directory = dir;
        }
        return writer;
    }

    private static boolean exists(DirectoryReader reader, String tenant, String id) throws IOException {
        return new IndexSearcher(reader).count(new TermQuery(Schema.keyTerm(tenant, id))) > 0;
    }

    /** Closes the writer, dropping what a failed mutation left pending; the next mutation opens a new one. */
    void close() throws IOException {
        if (writer != null) {
            try {
                // Every mutation commits; what is pending here belongs to one that failed.
                if (writer.isOpen()) {
                    writer.rollback();
                }
            } finally {
                writer = null;
                directory.close();
                directory = null;
            }
        }
    }
}
