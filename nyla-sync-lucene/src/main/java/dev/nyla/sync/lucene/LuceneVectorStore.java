package dev.nyla.sync.lucene;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nyla.sync.DimensionMismatchException;
import dev.nyla.sync.RecordKeys;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.IntegrityException;
import dev.nyla.sync.store.ActiveGenerationReader;
import dev.nyla.sync.internal.DurableFiles;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.GenerationSpec;
import dev.nyla.sync.store.GenerationWriter;
import dev.nyla.sync.store.IntegrityReport;
import dev.nyla.sync.store.InventoryEntry;
import dev.nyla.sync.store.NativeInstaller;
import dev.nyla.sync.store.ReadOnlyVectorStore;
import dev.nyla.sync.store.SearchHit;
import dev.nyla.sync.store.SearchRequest;
import dev.nyla.sync.store.StoreException;
import dev.nyla.sync.store.StoreStats;
import dev.nyla.sync.store.VectorStore;
import dev.nyla.sync.store.WriteResult;
import dev.nyla.sync.store.WriterLock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.apache.lucene.codecs.CodecUtil;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.store.IOContext;
import org.apache.lucene.store.IndexInput;
import org.apache.lucene.util.Version;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link VectorStore} on Lucene: HNSW search, every generation a Lucene index of its own, and installs
 * of prebuilt indexes shipped by a publisher ({@link LucenePayloadFormat}) without rebuilding the graph.
 *
 * <h2>Layout</h2>
 * <pre>
 * &lt;dir&gt;/LOCK                              held by the writer (one process at a time), naming its process
 * &lt;dir&gt;/CURRENT                           {"active": 7, "previous": [6]}, replaced atomically
 * &lt;dir&gt;/LAST_ID                           the highest generation id handed out, so none is reused
 * &lt;dir&gt;/generations/g-7/index/            the generation's Lucene index
 * &lt;dir&gt;/generations/g-7/generation.json   version, model, settings, Lucene version and codec, installed files
 * &lt;dir&gt;/tmp/                              work in progress; emptied at open
 * </pre>
 * A generation is written under {@code tmp/}, committed (Lucene forces its files to disk), described, and
 * renamed into {@code generations/} in one step; activation replaces {@code CURRENT} the same way. A
 * process killed at any instant leaves the last activated generation in force, and the next open removes
 * the leftovers. A new generation built on an earlier one (a delta) starts from hard links to the earlier
 * one's files, which Lucene never modifies, so it costs no copying.
 *
 * <h2>Readers</h2>
 * Searches acquire the active generation's reader from a {@link org.apache.lucene.search.ReferenceManager};
 * an activation swaps in the new reader, and the old one closes when its last search releases it.
 * {@link #openReadOnly} opens the active generation without the writer's lock, beside the writer, in
 * another process or by a user who may only read the files.
 *
 * <h2>Mutable mode</h2>
 * {@link #upsert} and {@link #delete} change the active generation through an {@link IndexWriter} and
 * commit before returning; readers switch to the new commit in one step.
 *
 * <h2>SIMD</h2>
 * Lucene computes vector similarities with the JDK's incubating Vector API when the JVM runs with
 * {@code --add-modules jdk.incubator.vector}; without it, it falls back to scalar code several times
 * slower. The store logs a warning at open when that is the case ({@link #simdEnabled()}).
 */
public final class LuceneVectorStore implements VectorStore {
    private static final Logger LOG = LoggerFactory.getLogger(LuceneVectorStore.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern GENERATION_DIR = Pattern.compile("g-([1-9][0-9]{0,17})");
    private static final String INDEX = "index";
    private static final String LAST_ID = "LAST_ID";
    private static final AtomicBoolean SIMD_WARNED = new AtomicBoolean();

    private final String location;
    private final Path root;
    private final Path generationsDir;
    private final Path tmpDir;
    private final LuceneOptions options;
    private final Clock clock;
    /** The writer's lock; null for a read-only store, which takes none. */
    private final WriterLock lock;
    private final Serving.Manager manager = new Serving.Manager();
    /** Serializes installs, activations, mutations and deletions; searches never take it. */
    private final ReentrantLock writeLock = new ReentrantLock();
    private final TreeMap<Long, GenerationInfo> generations = new TreeMap<>();
    private volatile long activeId;
    /** Earlier active generations, most recent last: rollback's path back. */
    private final List<Long> previouslyActive = new ArrayList<>();
    private long lastId;
    /** The writer of the active generation in mutable mode, opened at the first mutation. */
    private IndexWriter mutationWriter;
    private Directory mutationDirectory;
    private volatile boolean closed;

    private LuceneVectorStore(Path root, LuceneOptions options, Clock clock, WriterLock lock) {
        this.location = "lucene:" + root;
        this.root = root;
        this.generationsDir = root.resolve("generations");
        this.tmpDir = root.resolve("tmp");
        this.options = options;
        this.clock = clock;
        this.lock = lock;
    }

    /** Opens (creating it when missing) the store in {@code directory} with the default options. */
    public static LuceneVectorStore open(Path directory) throws IOException {
        return open(directory, LuceneOptions.DEFAULTS);
    }

    /** Opens (creating it when missing) the store in {@code directory}. */
    public static LuceneVectorStore open(Path directory, LuceneOptions options) throws IOException {
        return open(directory, options, Clock.systemUTC());
    }

    /** Opens the store in {@code directory}, stamping new generations with {@code clock}. */
    public static LuceneVectorStore open(Path directory, LuceneOptions options, Clock clock) throws IOException {
        warnWithoutSimd();
        Path root = directory.toAbsolutePath().normalize();
        Files.createDirectories(root);
        WriterLock lock = WriterLock.acquire("lucene:" + root, root);
        LuceneVectorStore store = new LuceneVectorStore(root, options, clock, lock);
        try {
            store.load(() -> { });
        } catch (IOException | RuntimeException e) {
            store.close();
            throw e;
        }
        return store;
    }

    /** As {@link #openReadOnly(Path, LuceneOptions)} with the default options. */
    public static ReadOnlyVectorStore openReadOnly(Path directory) throws IOException {
        return openReadOnly(directory, LuceneOptions.DEFAULTS);
    }

    /**
     * Opens the existing store in {@code directory} for reading only, beside a writer that may hold it (an
     * application, a {@code sync --watch}): the committed generation named by {@code CURRENT} is opened with
     * a Lucene {@link DirectoryReader}, without the writer's lock, an {@link IndexWriter} or any file created,
     * and nothing is cleaned up, so read access to the files is enough. It serves that generation until it is
     * closed, whatever the writer activates meanwhile. When the writer replaces and deletes the generation
     * between reading {@code CURRENT} and opening it, the open starts over with the new one (a few times,
     * then it gives up naming the store). {@code options} apply to searches ({@code overFetch},
     * {@code exactSearchThreshold}).
     *
     * @throws StoreException when {@code directory} holds no store or its active generation cannot be read
     */
    public static ReadOnlyVectorStore openReadOnly(Path directory, LuceneOptions options) throws IOException {
        return openReadOnly(directory, options, () -> { });
    }

    /** As {@link #openReadOnly(Path, LuceneOptions)}; {@code betweenSteps} runs after CURRENT is read (tests). */
    static ReadOnlyVectorStore openReadOnly(Path directory, LuceneOptions options, IoStep betweenSteps)
            throws IOException {
        warnWithoutSimd();
        Path root = directory.toAbsolutePath().normalize();
        return ActiveGenerationReader.open("lucene:" + root, root, () -> {
            LuceneVectorStore store = new LuceneVectorStore(root, options, Clock.systemUTC(), null);
            try {
                store.load(betweenSteps);
                return store;
            } catch (IOException | RuntimeException e) {
                store.close();
                throw e;
            }
        });
    }

    /** A step that may fail with an I/O error. */
    @FunctionalInterface
    interface IoStep {
        void run() throws IOException;
    }

    private boolean readOnly() {
        return lock == null;
    }

    /**
     * Whether Lucene uses the JDK's Vector API (SIMD) for vector arithmetic in this JVM; false means the
     * JVM lacks {@code --add-modules jdk.incubator.vector} (or runs a JDK Lucene does not vectorize for).
     */
    public static boolean simdEnabled() {
        // Lucene's own switch (VectorizationProvider) refuses callers outside Lucene; it turns SIMD on exactly
        // when this module is readable, on the JDKs it supports (it logs when it declines a JDK).
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    private static void warnWithoutSimd() {
        if (!simdEnabled() && SIMD_WARNED.compareAndSet(false, true)) {
            LOG.warn("Lucene runs without SIMD: vector search and indexing are several times slower. Start the JVM "
                    + "with --add-modules jdk.incubator.vector (Java {})", Runtime.version().feature());
        }
    }

    /** The options this store writes new generations with and searches with. */
    public LuceneOptions options() {
        return options;
    }

    @Override
    public String location() {
        return location;
    }

    @Override
    public Optional<Path> directory() {
        return Optional.of(root);
    }

    // ------------------------------------------------------------------------------------------ opening

    private void load(IoStep afterCurrent) throws IOException {
        if (!readOnly()) {
            Files.createDirectories(generationsDir);
            // Leftovers of interrupted installs and deletions: the writer's job only.
            DurableFiles.deleteRecursively(tmpDir);
            Files.createDirectories(tmpDir);
        }
        long active = 0;
        List<Long> previous = new ArrayList<>();
        Path current = root.resolve(ActiveGenerationReader.POINTER);
        try {
            JsonNode n = JSON.readTree(Files.readAllBytes(current));
            active = n.path("active").asLong(-1);
            n.path("previous").forEach(p -> previous.add(p.asLong()));
            if (active < 1) {
                throw new IllegalArgumentException("no active generation id");
            }
        } catch (NoSuchFileException e) {
            active = 0;
        } catch (IOException | RuntimeException e) {
            throw new StoreException(current.toString(), "content", "{\"active\": <id>, \"previous\": [...]}",
                    "unreadable (" + e.getMessage() + ")");
        }
        afterCurrent.run();
        lastId = Math.max(active, readLastId());
        if (readOnly() && !Files.isDirectory(generationsDir)) {
            // A store that was created but never written to; its writer may be about to.
            if (active != 0) {
                throw new StoreException(location + ": " + current + " names generation " + active + ", but "
                        + generationsDir + " is missing");
            }
            return;
        }
        try (Stream<Path> list = Files.list(generationsDir)) {
            for (Path dir : (Iterable<Path>) list.sorted()::iterator) {
                Matcher m = GENERATION_DIR.matcher(dir.getFileName().toString());
                if (!m.matches()) {
                    LOG.warn("{}: ignoring {}: not a generation directory", location, dir);
                    continue;
                }
                long id = Long.parseLong(m.group(1));
                lastId = Math.max(lastId, id);
                try {
                    generations.put(id, GenerationInfo.read(dir.resolve(GenerationInfo.FILE), id, options));
                } catch (IOException | RuntimeException e) {
                    if (id == active) {
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
        }
        if (active != 0) {
            if (!generations.containsKey(active)) {
                throw new StoreException(location + ": " + current + " names generation " + active
                        + ", which is missing from " + generationsDir);
            }
            Serving serving;
            try {
                serving = openServing(generations.get(active));
            } catch (IOException | RuntimeException e) {
                throw new StoreException(location + ": the active generation " + active + " cannot be opened: "
                        + e.getMessage(), e);
            }
            manager.swapTo(serving);
            activeId = active;
            previous.stream().filter(generations::containsKey).forEach(previouslyActive::add);
        }
    }

    /**
     * Removes the empty directories FSDirectory created when the writer deleted a generation between this
     * reader's check and its open: only empty ones, so nothing of the writer's can go.
     */
    private static void removeIfRecreated(Path index) {
        try {
            Files.deleteIfExists(index);
            if (!Files.exists(index.resolveSibling(GenerationInfo.FILE))) {
                Files.deleteIfExists(index.getParent());
            }
        } catch (IOException e) {
            // Not empty, or not ours to remove (the writer is using it): it stays.
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

    Path indexDirectory(long generationId) {
        return generationsDir.resolve("g-" + generationId).resolve(INDEX);
    }

    private Serving openServing(GenerationInfo info) throws IOException {
        Path index = indexDirectory(info.generation().id());
        if (readOnly() && !Files.isDirectory(index)) {
            throw new NoSuchFileException(index.toString(), null, "deleted by the store's writer");
        }
        // FSDirectory creates a missing directory: a generation deleted by the writer just now would reappear.
        Directory dir = FSDirectory.open(index);
        DirectoryReader reader;
        try {
            reader = DirectoryReader.open(dir);
        } catch (IOException | RuntimeException e) {
            dir.close();
            if (readOnly()) {
                removeIfRecreated(index);
            }
            throw e;
        }
        return new Serving.SharedDirectory(dir).serve(info.generation(), reader);
    }

    // ------------------------------------------------------------------------------------------ generations

    @Override
    public Optional<Generation> activeGeneration() {
        GenerationInfo info = generations(activeId);
        return info == null ? Optional.empty() : Optional.of(info.generation());
    }

    private GenerationInfo generations(long id) {
        writeLock.lock();
        try {
            return generations.get(id);
        } finally {
            writeLock.unlock();
        }
    }

    @Override
    public List<Generation> generations() {
        writeLock.lock();
        try {
            return generations.descendingMap().values().stream().map(GenerationInfo::generation).toList();
        } finally {
            writeLock.unlock();
        }
    }

    /** The Lucene version and codec a generation's index was last committed with, e.g. {@code 10.6.0 Lucene104}. */
    public Optional<String> luceneFormat(long generationId) {
        GenerationInfo info = generations(generationId);
        return info == null ? Optional.empty() : Optional.of(info.luceneVersion() + " " + info.codec());
    }

    @Override
    public GenerationWriter newGeneration(GenerationSpec spec) throws IOException {
        return newWriter(spec, 0);
    }

    @Override
    public GenerationWriter newGeneration(GenerationSpec spec, long baseGenerationId) throws IOException {
        return newWriter(spec, baseGenerationId);
    }

    private GenerationWriter newWriter(GenerationSpec spec, long baseId) throws IOException {
        writeLock.lock();
        try {
            ensureOpen();
            GenerationInfo base = null;
            if (baseId != 0) {
                base = generations.get(baseId);
                if (base == null) {
                    throw new StoreException(location, "base generation", "one of " + generations.keySet(), baseId);
                }
                if (!base.generation().model().isCompatibleWith(spec.model())) {
                    throw new StoreException(location + " generation " + baseId, "model of the base generation",
                            spec.model().fingerprint() + " (the new generation's)", base.generation().model().fingerprint());
                }
            }
            Work work = newWork();
            try {
                if (base != null) {
                    linkCommittedFiles(indexDirectory(baseId), work.index());
                }
                LuceneOptions write = base != null ? base.writeOptions() : options;
                return new LuceneGenerationWriter(this, work, spec, write, base != null);
            } catch (IOException | RuntimeException e) {
                DurableFiles.deleteRecursively(work.dir());
                throw e;
            }
        } finally {
            writeLock.unlock();
        }
    }

    /** A generation being written under {@code tmp/}. */
    record Work(long id, Path dir, Path index) {
    }

    /** Reserves a generation id for good and creates its work directory. */
    Work newWork() throws IOException {
        writeLock.lock();
        try {
            ensureOpen();
            return reserveWork();
        } finally {
            writeLock.unlock();
        }
    }

    private Work reserveWork() throws IOException {
        long id = lastId + 1;
        // Taken for good before anything else, so an id is never handed out twice, whatever happens later.
        DurableFiles.writeAtomically(root.resolve(LAST_ID), Long.toString(id).getBytes(StandardCharsets.US_ASCII));
        lastId = id;
        Path dir = tmpDir.resolve("g-" + id);
        DurableFiles.deleteRecursively(dir);
        Path index = dir.resolve(INDEX);
        Files.createDirectories(index);
        return new Work(id, dir, index);
    }

    /** Links (or, across file systems, copies) the files of the latest commit in {@code from} into {@code to}. */
    private static void linkCommittedFiles(Path from, Path to) throws IOException {
        try (Directory dir = FSDirectory.open(from)) {
            for (String name : SegmentInfos.readLatestCommit(dir).files(true)) {
                link(from.resolve(name), to.resolve(name));
            }
        }
    }

    /**
     * Hard-links {@code from} as {@code to}, or copies it where the file system cannot link. Returns true for a
     * link: its data is the already durable file's, so only the new directory entry needs forcing to disk,
     * while a copy's data must be forced too.
     */
    static boolean link(Path from, Path to) throws IOException {
        try {
            Files.createLink(to, from);
            return true;
        } catch (UnsupportedOperationException | FileSystemException e) {
            Files.copy(from, to);
            return false;
        }
    }

    /**
     * Completes a generation written under {@code tmp/}: describes it, forces the description to disk, and
     * moves it into {@code generations/} in one step. Called with the index committed.
     */
    Generation publish(Work work, GenerationSpec spec, long records, LuceneOptions writeOptions,
                       Map<String, GenerationInfo.FileFacts> files) throws IOException {
        writeLock.lock();
        try {
            ensureOpen();
            String version;
            String codec;
            try (Directory dir = FSDirectory.open(work.index())) {
                SegmentInfos infos = SegmentInfos.readLatestCommit(dir);
                Version v = infos.getCommitLuceneVersion();
                version = v == null ? Version.LATEST.toString() : v.toString();
                codec = infos.size() == 0 ? IndexBuilder.codec(writeOptions, null).getName()
                        : infos.info(0).info.getCodec().getName();
            }
            Generation g = new Generation(work.id(), spec.version(), spec.label(), spec.model(), records,
                    clock.instant(), spec.attributes());
            GenerationInfo info = new GenerationInfo(g, writeOptions, version, codec, files);
            info.write(work.dir().resolve(GenerationInfo.FILE));
            DurableFiles.fsyncDirectory(work.index());
            DurableFiles.moveAtomically(work.dir(), generationsDir.resolve("g-" + work.id()));
            generations.put(g.id(), info);
            return g;
        } finally {
            writeLock.unlock();
        }
    }

    /** The installed files of kept generations, by name, for a Lucene payload's delta by file. */
    Map<String, Path> reusableFiles(Map<String, String> wantedSha256ByName) {
        writeLock.lock();
        try {
            Map<String, Path> found = new HashMap<>();
            for (GenerationInfo info : generations.descendingMap().values()) {
                for (Map.Entry<String, GenerationInfo.FileFacts> f : info.files().entrySet()) {
                    String want = wantedSha256ByName.get(f.getKey());
                    Path p = indexDirectory(info.generation().id()).resolve(f.getKey());
                    if (want != null && want.equals(f.getValue().sha256()) && !found.containsKey(f.getKey())
                            && sizeIs(p, f.getValue().size())) {
                        found.put(f.getKey(), p);
                    }
                }
            }
            return found;
        } finally {
            writeLock.unlock();
        }
    }

    private static boolean sizeIs(Path p, long size) {
        try {
            return Files.size(p) == size;
        } catch (IOException e) {
            return false;
        }
    }

    Path tmpDirectory() {
        return tmpDir;
    }

    @Override
    public void activate(long generationId) throws IOException {
        writeLock.lock();
        try {
            ensureOpen();
            GenerationInfo info = generations.get(generationId);
            if (info == null) {
                throw new StoreException(location, "generation to activate", "one of " + generations.keySet(),
                        generationId);
            }
            if (generationId == activeId) {
                return;
            }
            List<Long> previous = new ArrayList<>(previouslyActive);
            if (activeId != 0) {
                previous.remove(activeId);
                previous.add(activeId);
            }
            previous.remove(generationId);
            switchTo(info, previous);
        } finally {
            writeLock.unlock();
        }
    }

    /** Opens the generation, records the activation durably, then swaps readers; nothing changes on failure. */
    private void switchTo(GenerationInfo info, List<Long> previous) throws IOException {
        Serving next = openServing(info);
        try {
            closeMutationWriter();
            writeCurrent(info.generation().id(), previous);
        } catch (IOException | RuntimeException e) {
            next.reader().decRef();
            throw e;
        }
        activeId = info.generation().id();
        previouslyActive.clear();
        previouslyActive.addAll(previous);
        manager.swapTo(next);
    }

    private void writeCurrent(long active, List<Long> previous) throws IOException {
        ObjectNode n = JSON.createObjectNode();
        n.put("active", active);
        previous.forEach(n.putArray("previous")::add);
        DurableFiles.writeAtomically(root.resolve(ActiveGenerationReader.POINTER), JSON.writeValueAsString(n).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public Generation rollback() throws IOException {
        writeLock.lock();
        try {
            ensureOpen();
            for (int i = previouslyActive.size() - 1; i >= 0; i--) {
                GenerationInfo target = generations.get(previouslyActive.get(i));
                if (target != null) {
                    List<Long> previous = new ArrayList<>(previouslyActive.subList(0, i));
                    switchTo(target, previous);
                    return target.generation();
                }
            }
            throw new StoreException(location + ": nothing to roll back to: no earlier generation is kept"
                    + (activeId == 0 ? " and none is active" : " before generation " + activeId));
        } finally {
            writeLock.unlock();
        }
    }

    @Override
    public void deleteGeneration(long generationId) throws IOException {
        writeLock.lock();
        try {
            ensureOpen();
            if (generationId == activeId) {
                throw new StoreException(location + ": generation " + generationId + " is active and cannot be deleted");
            }
            if (!generations.containsKey(generationId)) {
                throw new StoreException(location, "generation to delete", "one of " + generations.keySet(), generationId);
            }
            if (previouslyActive.remove(generationId)) {
                writeCurrent(activeId, previouslyActive);
            }
            generations.remove(generationId);
            Path doomed = tmpDir.resolve("deleted-g-" + generationId);
            DurableFiles.moveAtomically(generationsDir.resolve("g-" + generationId), doomed);
            // Past the rename the generation is gone. A search still reading it keeps its open files (POSIX);
            // the space returns when it finishes. Whatever is left under tmp/ goes at the next open.
            try {
                DurableFiles.deleteRecursively(doomed);
            } catch (IOException e) {
                LOG.warn("{}: generation {} deleted, but its files in {} remain until the next open: {}", location,
                        generationId, doomed, e.toString());
            }
        } finally {
            writeLock.unlock();
        }
    }

    // ------------------------------------------------------------------------------------------ reading

    @Override
    public List<SearchHit> search(SearchRequest request) throws IOException {
        ensureOpen();
        Serving s = manager.acquire();
        try {
            if (s.generation() == null) {
                return List.of();
            }
            return Searches.search(s, request, options);
        } finally {
            manager.release(s);
        }
    }

    @Override
    public Stream<String> tenants() throws IOException {
        return streamOfActive(s -> Inventories.tenants(s.reader()));
    }

    @Override
    public Stream<InventoryEntry> inventory(String tenant) throws IOException {
        return streamOfActive(s -> Inventories.inventory(s.reader(), tenant));
    }

    @FunctionalInterface
    private interface Reading<T> {
        Iterator<T> iterator(Serving s) throws IOException;
    }

    /** A stream over the generation active now; it holds that generation's reader until closed. */
    private <T> Stream<T> streamOfActive(Reading<T> reading) throws IOException {
        ensureOpen();
        Serving s = manager.acquire();
        try {
            Iterator<T> it = s.generation() == null ? java.util.Collections.emptyIterator() : reading.iterator(s);
            AtomicBoolean released = new AtomicBoolean();
            return StreamSupport.stream(Spliterators.spliteratorUnknownSize(it, Spliterator.ORDERED | Spliterator.NONNULL),
                    false).onClose(() -> {
                        if (released.compareAndSet(false, true)) {
                            try {
                                manager.release(s);
                            } catch (IOException e) {
                                throw new UncheckedIOException(e);
                            }
                        }
                    });
        } catch (IOException | RuntimeException e) {
            manager.release(s);
            throw e;
        }
    }

    @Override
    public StoreStats stats() throws IOException {
        ensureOpen();
        Serving s = manager.acquire();
        try {
            int tenants = 0;
            if (s.generation() != null) {
                for (Iterator<String> it = Inventories.tenants(s.reader()); it.hasNext(); it.next()) {
                    tenants++;
                }
            }
            int kept;
            writeLock.lock();
            try {
                kept = generations.size();
            } finally {
                writeLock.unlock();
            }
            return new StoreStats(s.generation() == null ? 0 : s.generation().id(), s.reader().numDocs(), tenants,
                    kept, DurableFiles.sizeOf(generationsDir));
        } finally {
            manager.release(s);
        }
    }

    /**
     * Reads every file of the active generation's segments and checks Lucene's checksum in its footer: the
     * full check that opening a store does not do (opening checks only the small files). It reads the
     * segments searches are served from, so a mutation committing meanwhile cannot pull them away.
     *
     * @return the generation, its live documents (one per record) and the number of segments checked
     * @throws IntegrityException naming the generation and the first segment with a file whose checksum does
     *         not match
     * @throws StoreException when no generation is active
     */
    @Override
    public IntegrityReport verifyActiveGeneration() throws IOException {
        ensureOpen();
        Serving s = manager.acquire();
        try {
            if (s.generation() == null) {
                throw new StoreException(location + ": cannot verify the active generation: none is active");
            }
            for (org.apache.lucene.index.LeafReaderContext leaf : s.reader().leaves()) {
                try {
                    leaf.reader().checkIntegrity();
                } catch (org.apache.lucene.index.CorruptIndexException e) {
                    throw new IntegrityException(location + " generation " + s.generation().id() + " segment "
                            + segmentName(leaf), "Lucene checksums",
                            "every file's checksum to match its footer", e.getMessage());
                }
            }
            int segments = s.reader().leaves().size();
            return new IntegrityReport(s.generation().id(), s.reader().numDocs(), segments
                    + (segments == 1 ? " segment" : " segments") + ": every file's Lucene checksum matches");
        } finally {
            manager.release(s);
        }
    }

    /** The segment's name ({@code _3}), which its files start with; its position when it has none. */
    private static String segmentName(org.apache.lucene.index.LeafReaderContext leaf) {
        return org.apache.lucene.index.FilterLeafReader.unwrap(leaf.reader())
                instanceof org.apache.lucene.index.SegmentReader sr ? sr.getSegmentName() : "#" + leaf.ord;
    }

    /** Reads a whole file and checks Lucene's checksum footer. */
    static void checksum(Directory dir, String name, String subject) throws IOException {
        try (IndexInput in = dir.openInput(name, IOContext.READONCE)) {
            CodecUtil.checksumEntireFile(in);
        } catch (org.apache.lucene.index.CorruptIndexException e) {
            throw new IntegrityException(subject, "Lucene checksum", "the checksum in the file's footer",
                    "a mismatch (" + e.getMessage() + ")");
        }
    }

    // ------------------------------------------------------------------------------------------ mutations

    @Override
    public WriteResult upsert(List<VectorRecord> records) throws IOException {
        writeLock.lock();
        try {
            GenerationInfo active = requireActive("upsert");
            for (VectorRecord r : records) {
                if (r.vector().length != active.generation().model().dimension()) {
                    throw new DimensionMismatchException("vector of " + r.tenant() + "/" + r.id() + " for " + location,
                            active.generation().model().dimension(), r.vector().length);
                }
            }
            IndexWriter writer = mutationWriter(active);
            try {
                int inserted = 0;
                int updated = 0;
                Set<String> seen = new HashSet<>();
                try (DirectoryReader reader = DirectoryReader.open(writer)) {
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
                }
                writer.commit();
                manager.maybeRefreshBlocking();
                return WriteResult.upserted(inserted, updated);
            } catch (IOException | RuntimeException e) {
                // Nothing of a failed batch may reach the next one's commit.
                closeMutationWriter();
                throw e;
            }
        } finally {
            writeLock.unlock();
        }
    }

    @Override
    public WriteResult delete(String tenant, Collection<String> ids) throws IOException {
        writeLock.lock();
        try {
            GenerationInfo active = requireActive("delete");
            for (String id : ids) {
                RecordKeys.requireValid(tenant, id);
            }
            IndexWriter writer = mutationWriter(active);
            try {
                int deleted = 0;
                int notFound = 0;
                Set<String> gone = new HashSet<>();
                try (DirectoryReader reader = DirectoryReader.open(writer)) {
                    for (String id : ids) {
                        if (!gone.contains(id) && exists(reader, tenant, id)) {
                            gone.add(id);
                            writer.deleteDocuments(Schema.keyTerm(tenant, id));
                            deleted++;
                        } else {
                            notFound++;
                        }
                    }
                }
                if (deleted > 0) {
                    writer.commit();
                    manager.maybeRefreshBlocking();
                }
                return WriteResult.deleted(deleted, notFound);
            } catch (IOException | RuntimeException e) {
                closeMutationWriter();
                throw e;
            }
        } finally {
            writeLock.unlock();
        }
    }

    private GenerationInfo requireActive(String what) throws IOException {
        ensureOpen();
        GenerationInfo info = generations.get(activeId);
        if (info == null) {
            throw new StoreException(location + ": cannot " + what + ": no generation is active");
        }
        return info;
    }

    private IndexWriter mutationWriter(GenerationInfo active) throws IOException {
        if (mutationWriter != null && !mutationWriter.isOpen()) {
            // Closed by a tragic failure of its own: start over from the last commit.
            closeMutationWriter();
        }
        if (mutationWriter == null) {
            Directory dir = FSDirectory.open(indexDirectory(active.generation().id()));
            try {
                mutationWriter = new IndexWriter(dir, new IndexWriterConfig()
                        .setOpenMode(IndexWriterConfig.OpenMode.APPEND)
                        .setCodec(IndexBuilder.codec(active.writeOptions(), null))
                        .setIndexSort(Schema.INDEX_SORT)
                        .setCommitOnClose(false));
            } catch (IOException | RuntimeException e) {
                dir.close();
                throw e;
            }
            mutationDirectory = dir;
        }
        return mutationWriter;
    }

    private static boolean exists(DirectoryReader reader, String tenant, String id) throws IOException {
        return new org.apache.lucene.search.IndexSearcher(reader).count(
                new org.apache.lucene.search.TermQuery(Schema.keyTerm(tenant, id))) > 0;
    }

    private void closeMutationWriter() throws IOException {
        if (mutationWriter != null) {
            try {
                // Every mutation commits; what is pending here belongs to one that failed.
                if (mutationWriter.isOpen()) {
                    mutationWriter.rollback();
                }
            } finally {
                mutationWriter = null;
                mutationDirectory.close();
                mutationDirectory = null;
            }
        }
    }

    // ------------------------------------------------------------------------------------------ native

    @Override
    public Optional<NativeInstaller> nativeInstaller() {
        return Optional.of(new LuceneNativeInstaller(this));
    }

    // ------------------------------------------------------------------------------------------ lifecycle

    void ensureOpen() throws StoreException {
        if (closed) {
            throw new StoreException(location + " is closed");
        }
    }

    @Override
    public void close() throws IOException {
        writeLock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            try {
                closeMutationWriter();
            } finally {
                try {
                    manager.close();
                } finally {
                    if (lock != null) {
                        lock.close();
                    }
                }
            }
        } finally {
            writeLock.unlock();
        }
    }

    @Override
    public String toString() {
        return "LuceneVectorStore[" + location + ", " + options + "]";
    }
}
