package dev.nyla.sync.store.internal;

import dev.nyla.sync.ContentHash;
import dev.nyla.sync.IntegrityException;
import dev.nyla.sync.NylaSyncException;
import dev.nyla.sync.RecordKeys;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.internal.DurableFiles;
import dev.nyla.sync.internal.RecordEntry;
import dev.nyla.sync.internal.RecordFileKind;
import dev.nyla.sync.internal.RecordFileReader;
import dev.nyla.sync.internal.RecordFileWriter;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.IntegrityReport;
import dev.nyla.sync.store.StoreException;
import dev.nyla.sync.store.VectorStore;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.List;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A {@link VectorStore} kept in a local directory: the zero-dependency durable store. Searches are exact and
 * run in memory, as in {@link MemoryVectorStore}; every change is on disk, crash-safely, before it is visible.
 * Suited to thousands up to a few hundred thousand records; use the Lucene adapter for more.
 *
 * <h2>Layout</h2>
 * <pre>
 * &lt;dir&gt;/LOCK                       held by the writer (one process at a time), naming its process
 * &lt;dir&gt;/CURRENT                    {"active": 7, "previous": [6]}, replaced atomically
 * &lt;dir&gt;/generations/g-7/records.nyr   the generation's records in the nyla record format (with SHA-256 trailer)
 * &lt;dir&gt;/generations/g-7/generation.json
 * &lt;dir&gt;/LAST_ID                    keeps deleted generations' ids taken, so none is reused
 * &lt;dir&gt;/tmp/                       work in progress; emptied at open
 * </pre>
 * A generation is written under {@code tmp/}, forced to disk, and renamed into {@code generations/} in one
 * step; activation replaces {@code CURRENT} the same way. A process killed at any instant therefore leaves
 * the last activated generation in force, complete, and the next open removes the leftovers. Opening reads
 * every kept generation and checks each file's SHA-256 trailer, so a damaged file is found at start-up;
 * {@link #verifyActiveGeneration()} re-reads the active one from disk for damage done since.
 *
 * <p>{@link #openReadOnly} opens a store without the lock, beside its writer, for reading only.
 *
 * <p>Memory: every kept generation is held in memory (the active one and those kept for rollback).
 * Mutations rewrite the active generation's file, so they cost time proportional to its size.
 */
public final class FileVectorStore extends SnapshotVectorStore {
    private static final String RECORDS = "records.nyr";

    private final StoreDirectory directory;

    private FileVectorStore(StoreDirectory directory, Clock clock) {
        super(directory.location(), clock);
        this.directory = directory;
    }

    /** Opens (creating it when missing) the store in {@code directory}. */
    public static FileVectorStore open(Path directory) throws IOException {
        return open(directory, Clock.systemUTC());
    }

    /** Opens the store in {@code directory}, stamping new generations with {@code clock}. */
    public static FileVectorStore open(Path directory, Clock clock) throws IOException {
        FileVectorStore store = new FileVectorStore(StoreDirectory.forWriter("file", directory), clock);
        try {
            store.load();
        } catch (IOException | RuntimeException e) {
            store.closeStorage();
            throw e;
        }
        return store;
    }

    /**
     * Opens the existing store in {@code directory} for reading only, beside a writer that may hold it: no
     * lock is taken, nothing is created or cleaned up, so read access to the files is enough. It serves the
     * generations committed when it was opened; when a writer replaces the active generation while it is
     * being read, the open starts over with the new one (a few times, then it gives up naming the store).
     *
     * @throws StoreException when {@code directory} holds no store or the store cannot be read
     */
    public static ReadOnlyVectorStore openReadOnly(Path directory) throws IOException {
        StoreDirectory dir = StoreDirectory.forReader("file", directory);
        return ActiveGenerationReader.open(dir.location(), dir.root(), () -> {
            FileVectorStore store = new FileVectorStore(dir, Clock.systemUTC());
            try {
                store.load();
                return store;
            } catch (IOException | RuntimeException e) {
                store.closeStorage();
                throw e;
            }
        });
    }

    @Override
    public Optional<Path> directory() {
        return Optional.of(directory.root());
    }

    private void load() throws IOException {
        StoreDirectory.Current current = directory.readCurrent();
        reserveGenerationIds(Math.max(current.highestId(), directory.readLastId()));
        directory.readGenerations(current, (id, dir) -> {
            reserveGenerationIds(id);
            Generation g = StoreDirectory.generation(StoreDirectory.readGenerationFile(dir, id));
            restore(g, readRecords(dir.resolve(RECORDS), g));
            return g;
        });
        if (current.active() != 0) {
            restoreActivation(current.active(), current.previous());
        }
    }

    private static NavigableMap<String, NavigableMap<String, VectorRecord>> readRecords(Path file, Generation g)
            throws IOException {
        NavigableMap<String, NavigableMap<String, VectorRecord>> tenants = new TreeMap<>(RecordKeys.ORDER);
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 64 << 10);
             RecordFileReader reader = RecordFileReader.open(in, file.toString(), g.model().dimension())) {
            for (Optional<RecordEntry> e; (e = reader.next()).isPresent(); ) {
                if (!(e.get() instanceof RecordEntry.Upsert u)) {
                    throw new StoreException(file.toString(), "entry kind", "upserts only", "a delete");
                }
                tenants.computeIfAbsent(u.tenant(), t -> new TreeMap<>(RecordKeys.ORDER)).put(u.id(), u.record());
            }
        }
        return tenants;
    }

    /**
     * Re-reads the active generation's {@code records.nyr} from disk: the reader checks the format and the
     * SHA-256 in the file's trailer, and each record's content hash is recomputed from its text, metadata and
     * the generation's model fingerprint and compared with the hash stored beside it. Memory use is one
     * record at a time; activations and mutations go on meanwhile (the file being read stays the one that
     * was active when verification began).
     *
     * @throws IntegrityException naming the file (and the record, for a content hash) that does not match;
     *         a file that no longer parses is reported the same way
     */
    @Override
    public IntegrityReport verifyActiveGeneration() throws IOException {
        record Opened(Generation generation, Path file, InputStream in) {
        }
        // Opened under the store's lock: a mutation replaces the file by a rename, a deletion moves it away,
        // and either leaves this open file as it was.
        Opened opened = onActive("verify the active generation", g -> {
            Path file = directory.generationDirectory(g.id()).resolve(RECORDS);
            try {
                return new Opened(g, file, new BufferedInputStream(Files.newInputStream(file), 64 << 10));
            } catch (NoSuchFileException e) {
                if (directory.readOnly() && !Files.isDirectory(file.getParent())) {
                    throw new StoreException(location() + ": generation " + g.id() + ", active when this read-only "
                            + "store was opened, has since been deleted by the store's writer; open it again", e);
                }
                throw new IntegrityException(file.toString(), "records file of the active generation " + g.id(),
                        "present", "missing");
            }
        });
        Generation g = opened.generation();
        String source = opened.file().toString();
        String fingerprint = g.model().fingerprint();
        try (RecordFileReader reader = RecordFileReader.open(opened.in(), source, g.model().dimension())) {
            for (Optional<RecordEntry> e; (e = reader.next()).isPresent(); ) {
                if (!(e.get() instanceof RecordEntry.Upsert u)) {
                    throw new IntegrityException(source, "entry kind", "upserts only", "a delete");
                }
                VectorRecord r = u.record();
                String recomputed = ContentHash.of(r.text(), r.metadata(), fingerprint);
                if (!recomputed.equals(r.contentHash())) {
                    throw new IntegrityException(source + ": record " + r.tenant() + "/" + r.id(),
                            "content hash recomputed from text, metadata and model fingerprint", r.contentHash(),
                            recomputed);
                }
            }
            return new IntegrityReport(g.id(), reader.upserts(), reader.upserts() + " records: the SHA-256 trailer of "
                    + RECORDS + " and every record's content hash match");
        } catch (IntegrityException e) {
            throw e;
        } catch (NylaSyncException e) {
            // The file was checked when it was written: one that no longer parses has been damaged since.
            throw new IntegrityException(location() + " generation " + g.id() + ": " + e.getMessage(), e);
        }
    }

    @Override
    void persistCommit(Generation g, NavigableMap<String, NavigableMap<String, VectorRecord>> tenants) throws IOException {
        Path work = directory.workDirectory(g.id());
        writeRecords(work.resolve(RECORDS), g, tenants);
        // Also forces the work directory, so the records file's entry is durable before the rename below.
        StoreDirectory.writeGenerationFile(work, StoreDirectory.generationJson(g));
        directory.commitGeneration(work, g.id());
    }

    @Override
    void persistActivation(long activeId, List<Long> previouslyActive) throws IOException {
        directory.writeCurrent(activeId, previouslyActive);
    }

    @Override
    void persistMutation(Generation g, NavigableMap<String, NavigableMap<String, VectorRecord>> tenants)
            throws IOException {
        Path work = directory.tmpDirectory().resolve("g-" + g.id() + "-" + RECORDS);
        try {
            writeRecords(work, g, tenants);
            DurableFiles.moveAtomically(work, directory.generationDirectory(g.id()).resolve(RECORDS));
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(work);
            throw e;
        }
    }

    @Override
    void persistDeletion(long generationId, long activeId, List<Long> previouslyActive) throws IOException {
        if (activeId != 0) {
            persistActivation(activeId, previouslyActive);
        }
        directory.deleteGeneration(generationId);
    }

    @Override
    long bytesOnDisk() throws IOException {
        return directory.bytesOnDisk();
    }

    @Override
    void closeStorage() throws IOException {
        directory.close();
    }

    private static void writeRecords(Path file, Generation g,
                                     NavigableMap<String, NavigableMap<String, VectorRecord>> tenants) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 64 << 10);
            RecordFileWriter writer = new RecordFileWriter(nonClosing(out), file.toString(), RecordFileKind.FULL,
                    g.model().dimension());
            try (writer) {
                for (NavigableMap<String, VectorRecord> records : tenants.values()) {
                    for (VectorRecord r : records.values()) {
                        writer.upsert(r);
                    }
                }
                writer.finish();
            }
            out.flush();
            ch.force(true);
        }
    }

    /** The writer closes its stream; the channel must stay open until it is forced. */
    private static OutputStream nonClosing(OutputStream out) {
        return new java.io.FilterOutputStream(out) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                flush();
            }
        };
    }
}
