package dev.nyla.sync.lucene;

import dev.nyla.sync.internal.DurableFiles;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.GenerationSpec;
import dev.nyla.sync.store.StoreException;
import dev.nyla.sync.store.internal.StoreDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The generations of a Lucene store: the ones kept, the active one (served through the reader manager) and the
 * earlier active ones rollback returns to, made durable through the {@link StoreDirectory}; the ids handed out
 * to new generations and their completion into {@code generations/}.
 *
 * <p>Not thread-safe: the store calls every method under its write lock, except {@link #activeId()}.
 */
final class Generations {
    private static final String INDEX = "index";

    private final StoreDirectory directory;
    private final String location;
    private final LuceneOptions options;
    private final Clock clock;
    private final Serving.Manager manager;
    private final Mutations mutations;
    private final TreeMap<Long, GenerationInfo> kept = new TreeMap<>();
    private volatile long activeId;
    /** Earlier active generations, most recent last: rollback's path back. */
    private final List<Long> previouslyActive = new ArrayList<>();
    private long lastId;
    /**
     * A published generation's index opened for searches by {@link #prepare}, for the activation that
     * follows; released when another is prepared, the generation is deleted, or the store closes.
     */
    private Serving prepared;

    Generations(StoreDirectory directory, LuceneOptions options, Clock clock, Serving.Manager manager,
                Mutations mutations) {
        this.directory = directory;
        this.location = directory.location();
        this.options = options;
        this.clock = clock;
        this.manager = manager;
        this.mutations = mutations;
    }

    /** Reads the kept generations and serves the active one; {@code afterCurrent} runs once CURRENT is read. */
    void load(LuceneVectorStore.IoStep afterCurrent) throws IOException {
        StoreDirectory.Current current = directory.readCurrent();
        afterCurrent.run();
        lastId = Math.max(current.highestId(), directory.readLastId());
        kept.putAll(directory.readGenerations(current, (id, dir) -> {
            lastId = Math.max(lastId, id);
            return GenerationInfo.read(dir, id, options);
        }));
        long active = current.active();
        if (active != 0) {
            Serving serving;
            try {
                serving = Serving.open(kept.get(active).generation(), indexDirectory(active), directory.readOnly());
            } catch (IOException | RuntimeException e) {
                throw new StoreException(location + ": the active generation " + active + " cannot be opened: "
                        + e.getMessage(), e);
            }
            manager.swapTo(serving);
            activeId = active;
            current.previous().stream().filter(kept::containsKey).forEach(previouslyActive::add);
        }
    }

    /** The active generation's id, 0 when none is; readable without the store's lock. */
    long activeId() {
        return activeId;
    }

    /** The kept generation {@code id}, or null. */
    GenerationInfo get(long id) {
        return kept.get(id);
    }

    /** The kept generations, newest first. */
    List<Generation> list() {
        return kept.descendingMap().values().stream().map(GenerationInfo::generation).toList();
    }

    int size() {
        return kept.size();
    }

    Path indexDirectory(long generationId) {
        return directory.generationDirectory(generationId).resolve(INDEX);
    }

    Path tmpDirectory() {
        return directory.tmpDirectory();
    }

    /**
     * The generation a new one is built on, checked against the new one's model.
     *
     * @throws StoreException when it is not kept or its model differs
     */
    GenerationInfo base(long baseId, GenerationSpec spec) throws StoreException {
        GenerationInfo base = kept.get(baseId);
        if (base == null) {
            throw new StoreException(location, "base generation", "one of " + kept.keySet(), baseId);
        }
        if (!base.generation().model().isCompatibleWith(spec.model())) {
            throw new StoreException(location + " generation " + baseId, "model of the base generation",
                    spec.model().fingerprint() + " (the new generation's)", base.generation().model().fingerprint());
        }
        return base;
    }

    /** A generation being written under {@code tmp/}. */
    record Work(long id, Path dir, Path index) {
    }

    /**
     * Reserves a generation id and creates its work directory. The id is taken for this process; across a
     * restart, once its directory reached {@code generations/} (StoreDirectory keeps deleted ids taken).
     */
    Work reserveWork() throws IOException {
        long id = lastId + 1;
        lastId = id;
        Path dir = directory.workDirectory(id);
        Path index = dir.resolve(INDEX);
        Files.createDirectories(index);
        return new Work(id, dir, index);
    }

    /**
     * Completes a generation written under {@code tmp/}: describes it, forces the description to disk, and
     * moves it into {@code generations/} in one step. Called with the index committed.
     */
    Generation publish(Work work, GenerationSpec spec, long records, LuceneOptions writeOptions, CommitFacts commit,
                       Map<String, GenerationInfo.FileFacts> files) throws IOException {
        Generation g = new Generation(work.id(), spec.version(), spec.label(), spec.model(), records,
                clock.instant(), spec.attributes());
        GenerationInfo info = new GenerationInfo(g, writeOptions, commit.luceneVersion(), commit.codec(), files);
        info.write(work.dir());
        DurableFiles.fsyncDirectory(work.index());
        directory.commitGeneration(work.dir(), work.id());
        kept.put(g.id(), info);
        return g;
    }

    /** The installed files of kept generations, by name, for a Lucene payload's delta by file. */
    Map<String, Path> reusableFiles(Map<String, String> wantedSha256ByName) {
        Map<String, Path> found = new HashMap<>();
        for (GenerationInfo info : kept.descendingMap().values()) {
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
    }

    private static boolean sizeIs(Path p, long size) {
        try {
            return Files.size(p) == size;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Opens published generation {@code generationId}'s index for searches now, as its activation would: an
     * index Lucene will not open is refused while the caller can still discard the generation (and the sync
     * client fall back to another route), and the activation that follows swaps this reader in instead of
     * opening the index a second time.
     */
    void prepare(long generationId) throws IOException {
        GenerationInfo info = kept.get(generationId);
        if (info == null) {
            throw new StoreException(location, "generation to prepare", "one of " + kept.keySet(), generationId);
        }
        releasePrepared();
        prepared = Serving.open(info.generation(), indexDirectory(generationId), directory.readOnly());
    }

    /** Closes the reader {@link #prepare} opened, if it was not activated. */
    void releasePrepared() throws IOException {
        Serving s = prepared;
        prepared = null;
        if (s != null) {
            s.reader().decRef();
        }
    }

    /** Makes {@code generationId} the active generation; returns it. */
    Generation activate(long generationId) throws IOException {
        GenerationInfo info = kept.get(generationId);
        if (info == null) {
            throw new StoreException(location, "generation to activate", "one of " + kept.keySet(), generationId);
        }
        if (generationId == activeId) {
            return info.generation();
        }
        List<Long> previous = new ArrayList<>(previouslyActive);
        if (activeId != 0) {
            previous.remove(activeId);
            previous.add(activeId);
        }
        previous.remove(generationId);
        switchTo(info, previous);
        return info.generation();
    }

    /** Opens the generation, records the activation durably, then swaps readers; nothing changes on failure. */
    private void switchTo(GenerationInfo info, List<Long> previous) throws IOException {
        Serving next;
        if (prepared != null && prepared.generation().id() == info.generation().id()) {
            next = prepared;
            prepared = null;
        } else {
            next = Serving.open(info.generation(), indexDirectory(info.generation().id()), directory.readOnly());
        }
        try {
            mutations.close();
            directory.writeCurrent(info.generation().id(), previous);
        } catch (IOException | RuntimeException e) {
            next.reader().decRef();
            throw e;
        }
        activeId = info.generation().id();
        previouslyActive.clear();
        previouslyActive.addAll(previous);
        manager.swapTo(next);
    }

    /** Activates the most recent earlier generation still kept; returns it. */
    Generation rollback() throws IOException {
        for (int i = previouslyActive.size() - 1; i >= 0; i--) {
            GenerationInfo target = kept.get(previouslyActive.get(i));
            if (target != null) {
                List<Long> previous = new ArrayList<>(previouslyActive.subList(0, i));
                switchTo(target, previous);
                return target.generation();
            }
        }
        throw new StoreException(location + ": nothing to roll back to: no earlier generation is kept"
                + (activeId == 0 ? " and none is active" : " before generation " + activeId));
    }

    /** Deletes a kept generation that is not active, and takes it out of the history. */
    void delete(long generationId) throws IOException {
        if (generationId == activeId) {
            throw new StoreException(location + ": generation " + generationId + " is active and cannot be deleted");
        }
        if (!kept.containsKey(generationId)) {
            throw new StoreException(location, "generation to delete", "one of " + kept.keySet(), generationId);
        }
        if (prepared != null && prepared.generation().id() == generationId) {
            releasePrepared();
        }
        if (previouslyActive.remove(generationId)) {
            directory.writeCurrent(activeId, previouslyActive);
        }
        kept.remove(generationId);
        // A search still reading the generation keeps its open files (POSIX); the space returns when it
        // finishes.
        directory.deleteGeneration(generationId);
    }
}
