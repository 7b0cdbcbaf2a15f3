package dev.nyla.sync.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nyla.sync.ContentHash;
import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.NylaSyncException;
import dev.nyla.sync.RecordKeys;
import dev.nyla.sync.Similarity;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.IntegrityException;
import dev.nyla.sync.internal.RecordEntry;
import dev.nyla.sync.internal.RecordFileKind;
import dev.nyla.sync.internal.RecordFileReader;
import dev.nyla.sync.internal.RecordFileWriter;
import dev.nyla.sync.internal.DurableFiles;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * &lt;dir&gt;/LAST_ID                    the highest generation id handed out, so none is reused
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
    private static final Logger LOG = LoggerFactory.getLogger(FileVectorStore.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern GENERATION_DIR = Pattern.compile("g-([1-9][0-9]{0,17})");
    private static final String RECORDS = "records.nyr";
    private static final String GENERATION = "generation.json";
    private static final String LAST_ID = "LAST_ID";

    private final Path root;
    private final Path generationsDir;
    private final Path tmpDir;
    /** The writer's lock; null for a read-only store, which takes none. */
    private final WriterLock lock;

    private FileVectorStore(String location, Clock clock, Path root, WriterLock lock) {
        super(location, clock);
        this.root = root;
        this.generationsDir = root.resolve("generations");
        this.tmpDir = root.resolve("tmp");
        this.lock = lock;
    }

    /** Opens (creating it when missing) the store in {@code directory}. */
    public static FileVectorStore open(Path directory) throws IOException {
        return open(directory, Clock.systemUTC());
    }

    /** Opens the store in {@code directory}, stamping new generations with {@code clock}. */
    public static FileVectorStore open(Path directory, Clock clock) throws IOException {
        Path root = directory.toAbsolutePath().normalize();
        Files.createDirectories(root);
        WriterLock lock = WriterLock.acquire("file:" + root, root);
        FileVectorStore store = new FileVectorStore("file:" + root, clock, root, lock);
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
        Path root = directory.toAbsolutePath().normalize();
        String location = "file:" + root;
        return ActiveGenerationReader.open(location, root, () -> {
            FileVectorStore store = new FileVectorStore(location, Clock.systemUTC(), root, null);
            try {
                store.load();
                return store;
            } catch (IOException | RuntimeException e) {
                store.closeStorage();
                throw e;
            }
        });
    }

    private boolean readOnly() {
        return lock == null;
    }

    @Override
    public Optional<Path> directory() {
        return Optional.of(root);
    }

    private void load() throws IOException {
        if (!readOnly()) {
            Files.createDirectories(generationsDir);
            // Leftovers of installs, mutations and deletions that a crash interrupted; the writer's job only.
            DurableFiles.deleteRecursively(tmpDir);
            Files.createDirectories(tmpDir);
        }
        Current current = readCurrent();
        long highest = Math.max(current.active, current.previous.stream().mapToLong(Long::longValue).max().orElse(0));
        highest = Math.max(highest, readLastId());
        List<Path> dirs;
        try (Stream<Path> list = Files.list(generationsDir)) {
            dirs = list.sorted().toList();
        } catch (NoSuchFileException e) {
            // A read-only open of a store that was never written to.
            dirs = List.of();
        }
        boolean activeFound = current.active == 0;
        for (Path dir : dirs) {
            Matcher m = GENERATION_DIR.matcher(dir.getFileName().toString());
            if (!m.matches()) {
                LOG.warn("{}: ignoring {}: not a generation directory", location(), dir);
                continue;
            }
            long id = Long.parseLong(m.group(1));
            highest = Math.max(highest, id);
            try {
                Generation g = readGeneration(dir.resolve(GENERATION), id);
                restore(g, readRecords(dir.resolve(RECORDS), g));
                activeFound |= id == current.active;
            } catch (IOException | RuntimeException e) {
                if (id == current.active) {
                    throw new StoreException(location() + ": the active generation " + id + " cannot be read: "
                            + e.getMessage(), e);
                }
                if (readOnly()) {
                    // Most likely deleted by the writer meanwhile, which is its right.
                    LOG.debug("{}: ignoring generation {}: {}", location(), id, e.getMessage());
                } else {
                    LOG.warn("{}: ignoring generation {}: {}", location(), id, e.getMessage());
                }
            }
        }
        if (!activeFound) {
            throw new StoreException(location() + ": " + root.resolve(ActiveGenerationReader.POINTER) + " names generation " + current.active
                    + ", which is missing from " + generationsDir);
        }
        reserveGenerationIds(highest);
        if (current.active != 0) {
            restoreActivation(current.active, current.previous);
        }
    }

    private long readLastId() throws IOException {
        Path file = root.resolve(LAST_ID);
        try {
            return Long.parseLong(Files.readString(file, StandardCharsets.US_ASCII).trim());
        } catch (NoSuchFileException e) {
            return 0;
        } catch (NumberFormatException e) {
            throw new StoreException(file.toString(), "content", "the last generation id", "unreadable");
        }
    }

    private record Current(long active, List<Long> previous) {
    }

    private Current readCurrent() throws IOException {
        Path file = root.resolve(ActiveGenerationReader.POINTER);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return new Current(0, List.of());
        }
        try {
            JsonNode n = JSON.readTree(bytes);
            List<Long> previous = new ArrayList<>();
            n.path("previous").forEach(p -> previous.add(p.asLong()));
            long active = n.path("active").asLong(-1);
            if (active < 1) {
                throw new IllegalArgumentException("no active generation id");
            }
            return new Current(active, previous);
        } catch (IOException | RuntimeException e) {
            throw new StoreException(file.toString(), "content", "{\"active\": <id>, \"previous\": [...]}",
                    "unreadable (" + e.getMessage() + ")");
        }
    }

    private Generation readGeneration(Path file, long id) throws IOException {
        JsonNode n = JSON.readTree(Files.readAllBytes(file));
        JsonNode m = n.path("model");
        EmbeddingModel model = new EmbeddingModel(m.path("id").asText(), m.path("dimension").asInt(),
                Similarity.fromWireName(m.path("similarity").asText()), m.path("normalized").asBoolean(),
                m.path("fingerprint").asText());
        Map<String, String> attributes = new TreeMap<>();
        n.path("attributes").properties().forEach(e -> attributes.put(e.getKey(), e.getValue().asText()));
        long storedId = n.path("id").asLong();
        if (storedId != id) {
            throw new StoreException(file.toString(), "generation id", id, storedId);
        }
        return new Generation(id, n.path("version").asLong(), n.path("label").asText(), model,
                n.path("recordCount").asLong(), Instant.parse(n.path("committedAt").asText()), attributes);
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
            Path file = generationsDir.resolve("g-" + g.id()).resolve(RECORDS);
            try {
                return new Opened(g, file, new BufferedInputStream(Files.newInputStream(file), 64 << 10));
            } catch (NoSuchFileException e) {
                if (readOnly() && !Files.isDirectory(file.getParent())) {
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
        // Taken for good before anything else, so an id is never handed out twice, whatever happens later.
        DurableFiles.writeAtomically(root.resolve(LAST_ID), Long.toString(g.id()).getBytes(StandardCharsets.US_ASCII));
        Path work = tmpDir.resolve("g-" + g.id());
        DurableFiles.deleteRecursively(work);
        Files.createDirectories(work);
        writeRecords(work.resolve(RECORDS), g, tenants);
        ObjectNode n = JSON.createObjectNode();
        n.put("id", g.id());
        n.put("version", g.version());
        n.put("label", g.label());
        n.put("committedAt", g.committedAt().toString());
        n.put("recordCount", g.recordCount());
        ObjectNode m = n.putObject("model");
        m.put("id", g.model().id());
        m.put("dimension", g.model().dimension());
        m.put("similarity", g.model().similarity().wireName());
        m.put("normalized", g.model().normalized());
        m.put("fingerprint", g.model().fingerprint());
        ObjectNode a = n.putObject("attributes");
        new TreeMap<>(g.attributes()).forEach(a::put);
        // Also forces the work directory, so the records file's entry is durable before the rename below.
        DurableFiles.writeAtomically(work.resolve(GENERATION), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(n));
        DurableFiles.moveAtomically(work, generationsDir.resolve("g-" + g.id()));
    }

    @Override
    void persistActivation(long activeId, List<Long> previouslyActive) throws IOException {
        ObjectNode n = JSON.createObjectNode();
        n.put("active", activeId);
        ArrayNode p = n.putArray("previous");
        previouslyActive.forEach(p::add);
        DurableFiles.writeAtomically(root.resolve(ActiveGenerationReader.POINTER), JSON.writeValueAsString(n).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    void persistMutation(Generation g, NavigableMap<String, NavigableMap<String, VectorRecord>> tenants)
            throws IOException {
        Path work = tmpDir.resolve("g-" + g.id() + "-" + RECORDS);
        try {
            writeRecords(work, g, tenants);
            DurableFiles.moveAtomically(work, generationsDir.resolve("g-" + g.id()).resolve(RECORDS));
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
        Path doomed = tmpDir.resolve("deleted-g-" + generationId);
        DurableFiles.moveAtomically(generationsDir.resolve("g-" + generationId), doomed);
        // The rename is the point of no return: the generation is gone. Reclaiming its space is best effort,
        // and whatever remains under tmp/ is removed at the next open.
        try {
            DurableFiles.deleteRecursively(doomed);
        } catch (IOException e) {
            LOG.warn("{}: generation {} deleted, but its files in {} remain until the next open: {}", location(),
                    generationId, doomed, e.toString());
        }
    }

    @Override
    long bytesOnDisk() throws IOException {
        return DurableFiles.sizeOf(generationsDir);
    }

    @Override
    void closeStorage() throws IOException {
        if (lock != null) {
            lock.close();
        }
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
