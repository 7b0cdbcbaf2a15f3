package dev.nyla.sync.store.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.Similarity;
import dev.nyla.sync.internal.DurableFiles;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.StoreException;
import dev.nyla.sync.store.StoreLockedException;
import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The directory of a store that keeps each generation in a directory of its own: the layout, the pointer files
 * and the generations' metadata, shared by the file store and the Lucene adapter so that both read and write
 * them the same way.
 *
 * <pre>
 * &lt;dir&gt;/LOCK                           held by the writer (one process at a time), naming its process
 * &lt;dir&gt;/CURRENT                        {"active":7,"previous":[6]}, replaced atomically
 * &lt;dir&gt;/LAST_ID                        keeps deleted generations' ids taken, so none is reused
 * &lt;dir&gt;/generations/g-7/               one generation: the store's own files and ...
 * &lt;dir&gt;/generations/g-7/generation.json  ... its metadata (id, version, label, model, attributes, more)
 * &lt;dir&gt;/tmp/                           work in progress; emptied when the writer opens the store
 * </pre>
 * The order of {@code previous} is the store's own (each store keeps the order it has always written).
 *
 * <p>For store implementations that keep their generations in a local directory; not needed by applications.
 */
public final class StoreDirectory implements Closeable {
    /** A generation's metadata file, in the generation's directory. */
    public static final String GENERATION_FILE = "generation.json";
    private static final String LAST_ID = "LAST_ID";
    private static final Pattern GENERATION_DIR = Pattern.compile("g-([1-9][0-9]{0,17})");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Logger LOG = LoggerFactory.getLogger(StoreDirectory.class);

    private final String location;
    private final Path root;
    private final Path generations;
    private final Path tmp;
    /** The writer's lock; null for a reader, which takes none. */
    private final WriterLock lock;

    private StoreDirectory(String location, Path root, WriterLock lock) {
        this.location = location;
        this.root = root;
        this.generations = root.resolve("generations");
        this.tmp = root.resolve("tmp");
        this.lock = lock;
    }

    /**
     * The directory of the store {@code scheme:directory} opened for writing: created when missing, locked
     * (one writer at a time), with the leftovers of interrupted work under {@code tmp/} removed.
     *
     * @throws StoreLockedException naming the holder when another writer holds the lock
     */
    public static StoreDirectory forWriter(String scheme, Path directory) throws IOException {
        Path root = directory.toAbsolutePath().normalize();
        Files.createDirectories(root);
        String location = scheme + ":" + root;
        StoreDirectory store = new StoreDirectory(location, root, WriterLock.acquire(location, root));
        try {
            Files.createDirectories(store.generations);
            // Leftovers of installs, mutations and deletions that a crash interrupted; the writer's job only.
            DurableFiles.deleteRecursively(store.tmp);
            Files.createDirectories(store.tmp);
        } catch (IOException | RuntimeException e) {
            store.close();
            throw e;
        }
        return store;
    }

    /**
     * The directory of the store {@code scheme:directory} opened for reading beside its writer: no lock, and
     * nothing is created, changed or removed, so read access to the files is enough.
     */
    public static StoreDirectory forReader(String scheme, Path directory) {
        Path root = directory.toAbsolutePath().normalize();
        return new StoreDirectory(scheme + ":" + root, root, null);
    }

    /** How the store is named in messages, such as {@code lucene:/var/lib/app/kb}. */
    public String location() {
        return location;
    }

    /** The store's directory, absolute and normalized. */
    public Path root() {
        return root;
    }

    /** Whether this directory was opened by a reader, which holds no lock and must change nothing. */
    public boolean readOnly() {
        return lock == null;
    }

    /** The directory under which the committed generations live. */
    public Path generationsDirectory() {
        return generations;
    }

    /** The directory of committed generation {@code id}. */
    public Path generationDirectory(long id) {
        return generations.resolve("g-" + id);
    }

    /** Where work in progress lives until it is moved into place; emptied when the writer opens the store. */
    public Path tmpDirectory() {
        return tmp;
    }

    /** The bytes of the kept generations' files. */
    public long bytesOnDisk() throws IOException {
        return DurableFiles.sizeOf(generations);
    }

    // ---------------------------------------------------------------------------------- CURRENT and LAST_ID

    /**
     * What {@code CURRENT} says: the active generation (0 when none was ever activated) and the ones active
     * before it.
     */
    public record Current(long active, List<Long> previous) {
        public Current {
            previous = List.copyOf(previous);
        }

        /** The highest id named here; 0 when none. */
        public long highestId() {
            return Math.max(active, previous.stream().mapToLong(Long::longValue).max().orElse(0));
        }
    }

    /**
     * Reads {@code CURRENT}; a store without one has no active generation.
     *
     * @throws StoreException naming the file when its content cannot be read as a pointer
     */
    public Current readCurrent() throws IOException {
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

    /** Replaces {@code CURRENT} atomically and durably: the activation's point of no return. */
    public void writeCurrent(long active, List<Long> previous) throws IOException {
        ObjectNode n = JSON.createObjectNode();
        n.put("active", active);
        ArrayNode p = n.putArray("previous");
        previous.forEach(p::add);
        DurableFiles.writeAtomically(root.resolve(ActiveGenerationReader.POINTER),
                JSON.writeValueAsString(n).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The id {@code LAST_ID} keeps taken, that of the newest generation deleted; 0 when there is none. A
     * store hands out ids above this, above those {@code CURRENT} names and above those of the directories
     * under {@code generations/}.
     *
     * @throws StoreException naming the file when it holds no number
     */
    public long readLastId() throws IOException {
        Path file = root.resolve(LAST_ID);
        try {
            return Long.parseLong(Files.readString(file, StandardCharsets.US_ASCII).trim());
        } catch (NoSuchFileException e) {
            return 0;
        } catch (NumberFormatException e) {
            throw new StoreException(file.toString(), "content", "the last generation id", "unreadable");
        }
    }

    /**
     * Keeps {@code id} taken once its directory is gone: durably in {@code LAST_ID}, when no directory of a
     * higher id remains under {@code generations/} to keep it taken. An id never written there is not
     * recorded at all (so an install costs no write for it): only {@code tmp/} ever held its generation,
     * nothing outside names it, and a crash may let it be handed out again.
     */
    private void keepIdTaken(long id) throws IOException {
        if (readLastId() >= id) {
            return;
        }
        try (Stream<Path> list = Files.list(generations)) {
            boolean higherRemains = list.map(p -> GENERATION_DIR.matcher(p.getFileName().toString()))
                    .anyMatch(m -> m.matches() && Long.parseLong(m.group(1)) > id);
            if (higherRemains) {
                return;
            }
        }
        DurableFiles.writeAtomically(root.resolve(LAST_ID), Long.toString(id).getBytes(StandardCharsets.US_ASCII));
    }

    // ---------------------------------------------------------------------------------- generations

    /** Reads one generation's files when the store opens. */
    @FunctionalInterface
    public interface GenerationLoader<T> {
        /** Reads generation {@code id} from {@code directory}; throws when its files cannot be read. */
        T load(long id, Path directory) throws IOException;
    }

    /**
     * Loads every generation directory under {@code generations/} in the order of their names, calling
     * {@code loader} for each one (so it sees every id in use, readable or not). A generation that cannot be
     * read is skipped with a warning (by a reader, which may meet one its writer is deleting, quietly),
     * unless it is the active one.
     *
     * @return the loaded generations by id
     * @throws StoreException when the active generation named by {@code current} is missing or cannot be read
     */
    public <T> NavigableMap<Long, T> readGenerations(Current current, GenerationLoader<T> loader) throws IOException {
        NavigableMap<Long, T> loaded = new TreeMap<>();
        if (readOnly() && !Files.isDirectory(generations)) {
            // A store that was created but never written to; its writer may be about to.
            if (current.active() != 0) {
                throw new StoreException(location + ": " + root.resolve(ActiveGenerationReader.POINTER)
                        + " names generation " + current.active() + ", but " + generations + " is missing");
            }
            return loaded;
        }
        List<Path> dirs;
        try (Stream<Path> list = Files.list(generations)) {
            dirs = list.sorted().toList();
        }
        for (Path dir : dirs) {
            Matcher m = GENERATION_DIR.matcher(dir.getFileName().toString());
            if (!m.matches()) {
                LOG.warn("{}: ignoring {}: not a generation directory", location, dir);
                continue;
            }
            long id = Long.parseLong(m.group(1));
            try {
                loaded.put(id, loader.load(id, dir));
            } catch (IOException | RuntimeException e) {
                if (id == current.active()) {
                    throw new StoreException(location + ": the active generation " + id + " cannot be read: "
                            + e.getMessage(), e);
                }
                if (readOnly()) {
                    // Most likely deleted by the writer meanwhile, which is its right.
                    LOG.debug("{}: ignoring generation {}: {}", location, id, e.getMessage());
                } else {
                    LOG.warn("{}: ignoring generation {}: {}", location, id, e.getMessage());
                }
            }
        }
        if (current.active() != 0 && !loaded.containsKey(current.active())) {
            throw new StoreException(location + ": " + root.resolve(ActiveGenerationReader.POINTER)
                    + " names generation " + current.active() + ", which is missing from " + generations);
        }
        return loaded;
    }

    /** An empty work directory {@code tmp/g-<id>} for generation {@code id}, for {@link #commitGeneration}. */
    public Path workDirectory(long id) throws IOException {
        Path work = tmp.resolve("g-" + id);
        DurableFiles.deleteRecursively(work);
        Files.createDirectories(work);
        return work;
    }

    /**
     * Moves a finished work directory into {@code generations/} in one durable step: the generation exists
     * once this returns, and must before any {@code CURRENT} naming it is written.
     */
    public void commitGeneration(Path work, long id) throws IOException {
        DurableFiles.moveAtomically(work, generationDirectory(id));
    }

    /**
     * Deletes generation {@code id}'s directory: a rename under {@code tmp/} first, which is the point of no
     * return, then the files, best effort (whatever remains goes when the writer next opens the store).
     */
    public void deleteGeneration(long id) throws IOException {
        // Durable before the rename below: once the directory is gone, nothing else keeps the id taken.
        keepIdTaken(id);
        Path doomed = tmp.resolve("deleted-g-" + id);
        DurableFiles.moveAtomically(generationDirectory(id), doomed);
        try {
            DurableFiles.deleteRecursively(doomed);
        } catch (IOException e) {
            LOG.warn("{}: generation {} deleted, but its files in {} remain until the next open: {}", location, id,
                    doomed, e.toString());
        }
    }

    // ---------------------------------------------------------------------------------- generation.json

    /**
     * The fields of {@code generation.json} every store writes: id, version, label, commit time, record count,
     * model and attributes; a store adds its own fields after them.
     */
    public static ObjectNode generationJson(Generation g) {
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
        return n;
    }

    /**
     * Writes {@code json} as {@code generation.json} in {@code generationDirectory}, a work directory that
     * {@link #commitGeneration} moves into place (until then nothing reads it, so no temporary name is
     * needed), and forces it and the directory, so that the entries of the files written into it before are
     * durable too, ahead of that rename.
     */
    public static void writeGenerationFile(Path generationDirectory, ObjectNode json) throws IOException {
        DurableFiles.writeAndForce(generationDirectory.resolve(GENERATION_FILE),
                JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(json));
        DurableFiles.fsyncDirectory(generationDirectory.toAbsolutePath());
    }

    /**
     * Reads {@code generation.json} of generation {@code id} from {@code generationDirectory}.
     *
     * @throws StoreException naming the file when it describes another generation
     */
    public static JsonNode readGenerationFile(Path generationDirectory, long id) throws IOException {
        Path file = generationDirectory.resolve(GENERATION_FILE);
        JsonNode n = JSON.readTree(Files.readAllBytes(file));
        long storedId = n.path("id").asLong();
        if (storedId != id) {
            throw new StoreException(file.toString(), "generation id", id, storedId);
        }
        return n;
    }

    /** The generation described by {@code json}, as {@link #generationJson} wrote it. */
    public static Generation generation(JsonNode json) {
        JsonNode m = json.path("model");
        EmbeddingModel model = new EmbeddingModel(m.path("id").asText(), m.path("dimension").asInt(),
                Similarity.fromWireName(m.path("similarity").asText()), m.path("normalized").asBoolean(),
                m.path("fingerprint").asText());
        Map<String, String> attributes = new TreeMap<>();
        json.path("attributes").properties().forEach(e -> attributes.put(e.getKey(), e.getValue().asText()));
        return new Generation(json.path("id").asLong(), json.path("version").asLong(), json.path("label").asText(),
                model, json.path("recordCount").asLong(), Instant.parse(json.path("committedAt").asText()), attributes);
    }

    /** Releases the writer's lock; a reader holds nothing. */
    @Override
    public void close() throws IOException {
        if (lock != null) {
            lock.close();
        }
    }
}
