package dev.nyla.sync.lucene;

import dev.nyla.sync.IntegrityException;
import dev.nyla.sync.UnsupportedFormatException;
import dev.nyla.sync.artifact.ModelMismatchException;
import dev.nyla.sync.internal.DurableFiles;
import dev.nyla.sync.nativepayload.NativeInstall;
import dev.nyla.sync.nativepayload.StreamingCheck;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.GenerationSpec;
import dev.nyla.sync.store.Payload;
import dev.nyla.sync.store.PayloadFile;
import dev.nyla.sync.store.StoreException;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.lucene.codecs.CodecUtil;
import org.apache.lucene.codecs.FieldInfosFormat;
import org.apache.lucene.index.CorruptIndexException;
import org.apache.lucene.index.FieldInfo;
import org.apache.lucene.index.FieldInfos;
import org.apache.lucene.index.IndexFormatTooNewException;
import org.apache.lucene.index.IndexFormatTooOldException;
import org.apache.lucene.index.SegmentCommitInfo;
import org.apache.lucene.index.SegmentInfo;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.index.VectorEncoding;
import org.apache.lucene.search.Sort;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.IOContext;
import org.apache.lucene.store.IndexInput;
import org.apache.lucene.store.NIOFSDirectory;

/**
 * One install of a Lucene payload: files the store holds from a kept generation are hard-linked, the
 * others are downloaded by the sync client (which computes each one's Lucene checksum in the pass that
 * hashes it, through {@link #streamingCheck}) and moved in; then Lucene's own checks run before the
 * generation is committed.
 */
final class LuceneNativeInstall implements NativeInstall {
    private final LuceneVectorStore store;
    private final GenerationSpec spec;
    private final Payload payload;
    private final Generations.Work work;
    private final String subject;
    /** Payload file name to index file name, in payload order. */
    private final Map<String, String> indexNames = new LinkedHashMap<>();
    private final List<PayloadFile> toFetch = new ArrayList<>();
    private final Set<String> put = new HashSet<>();
    /** Index files hard-linked from a kept generation: their data is on disk already. */
    private final Set<String> linked = new HashSet<>();
    /** Index files renamed from the caller's downloads, whose content the caller forced to disk. */
    private final Set<String> moved = new HashSet<>();
    /** Index file name to the CRC32 of its bytes before the checksum, computed as they were downloaded. */
    private final Map<String, Long> streamedCrc = new HashMap<>();
    private boolean done;

    LuceneNativeInstall(LuceneVectorStore store, GenerationSpec spec, Payload payload, boolean reuse)
            throws IOException {
        this.store = store;
        this.spec = spec;
        this.payload = payload;
        this.work = store.newWork();
        this.subject = store.location() + " generation " + work.id();
        try {
            indexNames.putAll(PayloadNames.indexFileNames(payload, subject));
            Map<String, Path> local = reuse ? store.reusableFiles(PayloadNames.wantedSha256(payload, indexNames))
                    : Map.of();
            for (PayloadFile f : payload.files()) {
                String name = indexNames.get(f.name());
                Path from = local.get(name);
                if (from != null) {
                    if (IndexFiles.link(from, work.index().resolve(name))) {
                        linked.add(name);
                    }
                } else {
                    toFetch.add(f);
                }
            }
        } catch (IOException | RuntimeException e) {
            DurableFiles.deleteRecursively(work.dir());
            throw e;
        }
    }

    @Override
    public List<PayloadFile> filesToFetch() {
        return List.copyOf(toFetch);
    }

    @Override
    public StreamingCheck streamingCheck(PayloadFile file) {
        if (!toFetch.contains(file)) {
            throw new IllegalArgumentException(subject + ": " + file.name() + " is not one of the files to fetch");
        }
        String name = indexNames.get(file.name());
        return new FooterCrc(file.size(), crc -> streamedCrc.put(name, crc));
    }

    @Override
    public void put(PayloadFile file, Path verified) throws IOException {
        requireOpen();
        if (!toFetch.contains(file)) {
            throw new IllegalArgumentException(subject + ": " + file.name() + " is not one of the files to fetch");
        }
        Path target = work.index().resolve(indexNames.get(file.name()));
        try {
            Files.move(verified, target, StandardCopyOption.ATOMIC_MOVE);
            moved.add(target.getFileName().toString());
        } catch (AtomicMoveNotSupportedException e) {
            Files.copy(verified, target, StandardCopyOption.REPLACE_EXISTING);
            Files.delete(verified);
        }
        put.add(file.name());
    }

    @Override
    public Generation commit() throws IOException {
        requireOpen();
        done = true;
        try {
            for (PayloadFile f : toFetch) {
                if (!put.contains(f.name())) {
                    throw new StoreException(subject + ": payload file " + f.name() + " was not put before commit");
                }
            }
            LuceneOptions writeOptions = LucenePayloadFormat.writeOptions(payload, store.options());
            Checked checked;
            // Read with positional reads, not memory maps: the check reads a few hundred bytes of each file
            // and closes it, and mapping then unmapping every file of the index cost more than the reads (JFR
            // on the 1 % delta: unmap alone 2 % of the install).
            try (Directory dir = new NIOFSDirectory(work.index())) {
                checked = check(dir, writeOptions);
            }
            Map<String, GenerationInfo.FileFacts> facts = new TreeMap<>();
            for (PayloadFile f : payload.files()) {
                facts.put(indexNames.get(f.name()), new GenerationInfo.FileFacts(f.size(), f.sha256()));
            }
            // Copied files are forced to disk here; linked ones share the data of a file that was forced when
            // it was installed, and moved ones are the caller's downloads, forced before they were put (publish
            // forces the directory that holds their new names). On a 1 % delta of 100k records, forcing every
            // linked file again cost 16 % of the install.
            for (String name : facts.keySet()) {
                if (!linked.contains(name) && !moved.contains(name)) {
                    DurableFiles.fsync(work.index().resolve(name));
                }
            }
            Generation published = store.publish(work, spec, checked.liveDocs(), writeOptions, checked.commit(),
                    facts);
            try {
                store.prepare(published.id());
            } catch (IOException | RuntimeException e) {
                try {
                    store.deleteGeneration(published.id());
                } catch (IOException | RuntimeException again) {
                    e.addSuppressed(again);
                }
                throw e;
            }
            return published;
        } catch (IOException | RuntimeException e) {
            DurableFiles.deleteRecursively(work.dir());
            throw e;
        }
    }

    /** What the check found: the index's live documents and the facts of its commit. */
    private record Checked(long liveDocs, CommitFacts commit) {
    }

    /** Lucene's checksums, the commit's file list, the schema and the model. */
    private Checked check(Directory dir, LuceneOptions writeOptions) throws IOException {
        Map<String, PayloadFile> fetched = new HashMap<>();
        toFetch.forEach(f -> fetched.put(indexNames.get(f.name()), f));
        for (String name : indexNames.values()) {
            String where = work.index().resolve(name).toString();
            if (fetched.containsKey(name)) {
                // Downloaded: the SHA-256 matched the manifest; Lucene's own checksum guards against a
                // publisher that shipped a damaged index. Computed while downloading when the client did,
                // so that only the header and footer are read here; otherwise the whole file is read.
                Long crc = streamedCrc.get(name);
                if (crc != null) {
                    IndexFiles.checkFooter(dir, name, where, fetched.get(name).size(), crc);
                } else {
                    IndexFiles.checksum(dir, name, where);
                }
            } else {
                // Reused: verified when it was installed, and Lucene never rewrites a file. A full read here
                // would cost as much as the download the delta saves; the footer is checked cheaply.
                try (IndexInput in = dir.openInput(name, IOContext.READONCE)) {
                    CodecUtil.retrieveChecksum(in);
                } catch (CorruptIndexException e) {
                    throw new IntegrityException(where, "Lucene footer", "a valid footer", e.getMessage());
                }
            }
        }
        SegmentInfos infos;
        try {
            infos = SegmentInfos.readLatestCommit(dir);
        } catch (IndexFormatTooOldException | IndexFormatTooNewException e) {
            throw new UnsupportedFormatException(subject, "Lucene index format",
                    "one Lucene " + org.apache.lucene.util.Version.LATEST + " reads", e.getMessage());
        } catch (CorruptIndexException e) {
            throw new IntegrityException(subject, "Lucene commit", "a readable commit", e.getMessage());
        }
        Set<String> referenced = new TreeSet<>(infos.files(true));
        Set<String> shipped = new TreeSet<>(indexNames.values());
        if (!referenced.equals(shipped)) {
            Set<String> missing = new TreeSet<>(referenced);
            missing.removeAll(shipped);
            Set<String> extra = new TreeSet<>(shipped);
            extra.removeAll(referenced);
            throw new IntegrityException(subject, "files of the index's commit", "exactly the payload's files",
                    "missing " + missing + ", not part of the commit " + extra);
        }
        Map<String, String> data = infos.getUserData();
        if (!Schema.VERSION.equals(data.get(Schema.COMMIT_SCHEMA))) {
            throw new UnsupportedFormatException(subject, "nyla schema in the commit", Schema.VERSION,
                    data.get(Schema.COMMIT_SCHEMA));
        }
        if (!spec.model().fingerprint().equals(data.get(Schema.COMMIT_MODEL))) {
            throw new ModelMismatchException(subject, "model fingerprint in the commit", spec.model().fingerprint(),
                    data.get(Schema.COMMIT_MODEL));
        }
        // The segments' own metadata, not a reader: commit opens the generation's serving reader once it is
        // published, which refuses an index Lucene will not open (opening a second reader here took about
        // 1.2 ms of the 3.5 ms check).
        long liveDocs = 0;
        int ord = 0;
        for (SegmentCommitInfo segment : infos) {
            checkSegment(dir, segment, ord++);
            liveDocs += segment.info.maxDoc() - segment.getDelCount();
        }
        return new Checked(liveDocs, CommitFacts.of(infos, writeOptions));
    }

    /** The segment's sort and its vector field (encoding, dimension, similarity) as the store needs them. */
    private void checkSegment(Directory dir, SegmentCommitInfo segment, int ord) throws IOException {
        String name = "segment " + ord + " (" + segment.info.name + ")";
        Sort sort = segment.info.getIndexSort();
        if (!Schema.INDEX_SORT.equals(sort)) {
            throw new UnsupportedFormatException(subject, "index sort of " + name, Schema.INDEX_SORT, sort);
        }
        FieldInfo vectors;
        try {
            vectors = fieldInfos(dir, segment).fieldInfo(Schema.VECTOR);
        } catch (CorruptIndexException e) {
            throw new IntegrityException(subject, "Lucene index files of " + name, "the files of this segment",
                    e.getMessage(), e);
        }
        if (vectors == null || !vectors.hasVectorValues()) {
            if (segment.info.maxDoc() > 0) {
                throw new IntegrityException(subject, "vector field " + Schema.VECTOR + " of " + name,
                        "present in every segment with documents", "missing");
            }
            return;
        }
        if (vectors.getVectorEncoding() != VectorEncoding.FLOAT32) {
            throw new IntegrityException(subject, "vector encoding of " + name, VectorEncoding.FLOAT32,
                    vectors.getVectorEncoding());
        }
        if (vectors.getVectorDimension() != spec.model().dimension()) {
            throw new IntegrityException(subject, "vector dimension of " + name, spec.model().dimension(),
                    vectors.getVectorDimension());
        }
        if (vectors.getVectorSimilarityFunction() != Schema.luceneSimilarity(spec.model().similarity())) {
            throw new IntegrityException(subject, "vector similarity of " + name,
                    Schema.luceneSimilarity(spec.model().similarity()), vectors.getVectorSimilarityFunction());
        }
    }

    /** The segment's field infos, read where a segment reader reads them. */
    private static FieldInfos fieldInfos(Directory dir, SegmentCommitInfo segment) throws IOException {
        SegmentInfo si = segment.info;
        FieldInfosFormat format = si.getCodec().fieldInfosFormat();
        if (segment.hasFieldUpdates()) {
            // Updated doc values wrote a later generation of the field infos beside the segment's files.
            return format.read(dir, si, Long.toString(segment.getFieldInfosGen(), Character.MAX_RADIX),
                    IOContext.READONCE);
        }
        if (si.getUseCompoundFile()) {
            try (Directory compound = si.getCodec().compoundFormat().getCompoundReader(dir, si)) {
                return format.read(compound, si, "", IOContext.READONCE);
            }
        }
        return format.read(dir, si, "", IOContext.READONCE);
    }

    @Override
    public void close() throws IOException {
        if (!done) {
            done = true;
            DurableFiles.deleteRecursively(work.dir());
        }
    }

    private void requireOpen() throws StoreException {
        if (done) {
            throw new StoreException(subject + ": the install was already committed or closed");
        }
    }
}
