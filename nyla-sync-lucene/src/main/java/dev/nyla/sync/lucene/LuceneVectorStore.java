package dev.nyla.sync.lucene;

import dev.nyla.sync.IntegrityException;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.internal.DurableFiles;
import dev.nyla.sync.nativepayload.NativeFormatStore;
import dev.nyla.sync.nativepayload.NativeInstaller;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.GenerationSpec;
import dev.nyla.sync.store.GenerationWriter;
import dev.nyla.sync.store.IntegrityReport;
import dev.nyla.sync.store.InventoryEntry;
import dev.nyla.sync.store.SearchHit;
import dev.nyla.sync.store.SearchRequest;
import dev.nyla.sync.store.StoreException;
import dev.nyla.sync.store.StoreStats;
import dev.nyla.sync.store.VectorStore;
import dev.nyla.sync.store.WriteResult;
import dev.nyla.sync.store.internal.ActiveGenerationReader;
import dev.nyla.sync.store.internal.ReadOnlyVectorStore;
import dev.nyla.sync.store.internal.StoreDirectory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
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
 * &lt;dir&gt;/LAST_ID                           keeps deleted generations' ids taken, so none is reused
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
public final class LuceneVectorStore implements NativeFormatStore {
    private static final Logger LOG = LoggerFactory.getLogger(LuceneVectorStore.class);
    private static final AtomicBoolean SIMD_WARNED = new AtomicBoolean();

    private final String location;
    /** The store's files; opened for reading only by {@link #openReadOnly}. */
    private final StoreDirectory directory;
    private final LuceneOptions options;
    private final Serving.Manager manager = new Serving.Manager();
    /** Serializes installs, activations, mutations and deletions; searches never take it. */
    private final ReentrantLock writeLock = new ReentrantLock();
    /** Guarded by {@link #writeLock}. */
    private final Generations generations;
    /** Guarded by {@link #writeLock}. */
    private final Mutations mutations;
    private volatile boolean closed;

    private LuceneVectorStore(StoreDirectory directory, LuceneOptions options, Clock clock) {
        this.location = directory.location();
        this.directory = directory;
        this.options = options;
        this.mutations = new Mutations(location, manager);
        this.generations = new Generations(directory, options, clock, manager, mutations);
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
        LuceneVectorStore store = new LuceneVectorStore(StoreDirectory.forWriter("lucene", directory), options, clock);
        try {
            store.generations.load(() -> { });
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
        StoreDirectory dir = StoreDirectory.forReader("lucene", directory);
        return ActiveGenerationReader.open(dir.location(), dir.root(), () -> {
            LuceneVectorStore store = new LuceneVectorStore(dir, options, Clock.systemUTC());
            try {
                store.generations.load(betweenSteps);
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
        return directory.readOnly();
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
        return Optional.of(directory.root());
    }

    // ------------------------------------------------------------------------------------------ generations

    Path indexDirectory(long generationId) {
        return generations.indexDirectory(generationId);
    }

    Path tmpDirectory() {
        return generations.tmpDirectory();
    }

    /** Runs {@code work} on the generations under the write lock, the store open. */
    private <T> T locked(GenerationsWork<T> work) throws IOException {
        writeLock.lock();
        try {
            ensureOpen();
            return work.run(generations);
        } finally {
            writeLock.unlock();
        }
    }

    @FunctionalInterface
    private interface GenerationsWork<T> {
        T run(Generations generations) throws IOException;
    }

    /** Reads the generations under the write lock: no I/O, and allowed on a closed store. */
    private <T> T guarded(Function<Generations, T> read) {
        writeLock.lock();
        try {
            return read.apply(generations);
        } finally {
            writeLock.unlock();
        }
    }

    private GenerationInfo generation(long id) {
        return guarded(g -> g.get(id));
    }

    @Override
    public Optional<Generation> activeGeneration() {
        GenerationInfo info = generation(generations.activeId());
        return info == null ? Optional.empty() : Optional.of(info.generation());
    }

    @Override
    public List<Generation> generations() {
        return guarded(Generations::list);
    }

    /** The Lucene version and codec a generation's index was last committed with, e.g. {@code 10.6.0 Lucene104}. */
    public Optional<String> luceneFormat(long generationId) {
        GenerationInfo info = generation(generationId);
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
        return locked(g -> {
            GenerationInfo base = baseId == 0 ? null : g.base(baseId, spec);
            Generations.Work work = g.reserveWork();
            try {
                if (base != null) {
                    IndexFiles.linkCommittedFiles(g.indexDirectory(baseId), work.index());
                }
                LuceneOptions write = base != null ? base.writeOptions() : options;
                return new LuceneGenerationWriter(this, work, spec, write, base != null);
            } catch (IOException | RuntimeException e) {
                DurableFiles.deleteRecursively(work.dir());
                throw e;
            }
        });
    }

    /** Reserves a generation id for good and creates its work directory. */
    Generations.Work newWork() throws IOException {
        return locked(Generations::reserveWork);
    }

    /** Completes a generation written under {@code tmp/} (see {@link Generations#publish}). */
    Generation publish(Generations.Work work, GenerationSpec spec, long records, LuceneOptions writeOptions,
                       CommitFacts commit, Map<String, GenerationInfo.FileFacts> files) throws IOException {
        return locked(g -> g.publish(work, spec, records, writeOptions, commit, files));
    }

    /** Opens a published generation for the activation that follows (see {@link Generations#prepare}). */
    void prepare(long generationId) throws IOException {
        locked(g -> {
            g.prepare(generationId);
            return null;
        });
    }

    /** The installed files of kept generations, by name, for a Lucene payload's delta by file. */
    Map<String, Path> reusableFiles(Map<String, String> wantedSha256ByName) {
        return guarded(g -> g.reusableFiles(wantedSha256ByName));
    }

    @Override
    public void activate(long generationId) throws IOException {
        locked(g -> g.activate(generationId));
    }

    @Override
    public Generation rollback() throws IOException {
        return locked(Generations::rollback);
    }

    @Override
    public void deleteGeneration(long generationId) throws IOException {
        locked(g -> {
            g.delete(generationId);
            return null;
        });
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
            int kept = guarded(Generations::size);
            return new StoreStats(s.generation() == null ? 0 : s.generation().id(), s.reader().numDocs(), tenants,
                    kept, directory.bytesOnDisk());
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
            return IndexFiles.verify(s, location);
        } finally {
            manager.release(s);
        }
    }

    // ------------------------------------------------------------------------------------------ mutations

    @Override
    public WriteResult upsert(List<VectorRecord> records) throws IOException {
        writeLock.lock();
        try {
            GenerationInfo active = requireActive("upsert");
            return mutations.upsert(active, indexDirectory(active.generation().id()), records);
        } finally {
            writeLock.unlock();
        }
    }

    @Override
    public WriteResult delete(String tenant, Collection<String> ids) throws IOException {
        writeLock.lock();
        try {
            GenerationInfo active = requireActive("delete");
            return mutations.delete(active, indexDirectory(active.generation().id()), tenant, ids);
        } finally {
            writeLock.unlock();
        }
    }

    private GenerationInfo requireActive(String what) throws IOException {
        ensureOpen();
        GenerationInfo info = generations.get(generations.activeId());
        if (info == null) {
            throw new StoreException(location + ": cannot " + what + ": no generation is active");
        }
        return info;
    }

    // ------------------------------------------------------------------------------------------ native

    @Override
    public NativeInstaller nativeInstaller() {
        return new LuceneNativeInstaller(this);
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
                generations.releasePrepared();
            } finally {
                try {
                    mutations.close();
                } finally {
                    try {
                        manager.close();
                    } finally {
                        directory.close();
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
