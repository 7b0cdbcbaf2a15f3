package dev.nyla.sync.lucene;

import dev.nyla.sync.ContentHash;
import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.internal.DurableFiles;
import dev.nyla.sync.publish.NativePayloadBuilder;
import dev.nyla.sync.publish.NativePayloadFormat;
import dev.nyla.sync.store.Compression;
import dev.nyla.sync.store.Payload;
import dev.nyla.sync.store.PayloadFile;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.lucene.codecs.perfield.PerFieldKnnVectorsFormat;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.FieldInfo;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.SegmentCommitInfo;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.Version;

/**
 * The Lucene index itself as an artifact payload (kind {@value #KIND}): what a publisher ships so that
 * clients with a {@link LuceneVectorStore} install by copying and verifying files, with no HNSW graph to
 * build. Each index file is one payload file named {@code lucene-<sha256>-<index file name>}.
 *
 * <p>Built from scratch, the index is merged into one segment. Built on the previous version's payload,
 * unchanged segments keep their files and the changes go into a new small segment (plus a small
 * deletions file per touched segment), as Lucene's own update path writes them; then segments merge as the
 * {@link SegmentPolicy} says, so that the payload keeps a bounded number of segments and of deleted
 * documents over any number of versions. A client holding the previous version therefore downloads only
 * the new files: the delta by file, and a merged segment once. A base {@linkplain Base#compact() to
 * compact} is rewritten into one segment without deleted documents.
 *
 * <p>Found by {@link NativePayloadFormat#forKind} under {@value #KIND}; that instance uses the default
 * {@link LuceneOptions} and {@link SegmentPolicy}.
 */
public final class LucenePayloadFormat implements NativePayloadFormat {
    /** The payload kind. */
    public static final String KIND = "lucene";

    static final String ATTR_SCHEMA = "nyla.schema";
    static final String ATTR_LUCENE_VERSION = "lucene.version";
    static final String ATTR_CREATED_MAJOR = "lucene.indexCreatedVersionMajor";
    static final String ATTR_MIN_SEGMENT_VERSION = "lucene.minSegmentVersion";
    static final String ATTR_CODECS = "lucene.codecs";
    static final String ATTR_VECTOR_FORMATS = "lucene.vectorFormats";
    static final String ATTR_SEGMENTS = "lucene.segments";
    static final String ATTR_MAX_CONN = "hnsw.maxConn";
    static final String ATTR_BEAM_WIDTH = "hnsw.beamWidth";
    static final String ATTR_QUANTIZATION = "hnsw.quantization";

    private final LuceneOptions options;
    private final SegmentPolicy segments;
    private final Path workParent;

    /** A format with the default options, working in the system's temporary directory. */
    public LucenePayloadFormat() {
        this(LuceneOptions.DEFAULTS, Path.of(System.getProperty("java.io.tmpdir")));
    }

    /**
     * A format writing indexes with {@code options} (HNSW shape, quantization) and the default
     * {@link SegmentPolicy}, building them under {@code workParent} (it needs room for the index twice).
     */
    public LucenePayloadFormat(LuceneOptions options, Path workParent) {
        this(options, SegmentPolicy.DEFAULTS, workParent);
    }

    /**
     * A format writing indexes with {@code options} (HNSW shape, quantization), merging the segments of
     * versions built on earlier ones by {@code segments}, building them under {@code workParent} (it needs
     * room for the index twice).
     */
    public LucenePayloadFormat(LuceneOptions options, SegmentPolicy segments, Path workParent) {
        this.options = Objects.requireNonNull(options, "options");
        this.segments = Objects.requireNonNull(segments, "segments");
        this.workParent = Objects.requireNonNull(workParent, "workParent");
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public NativePayloadBuilder begin(EmbeddingModel model, Optional<Base> base) throws IOException {
        Files.createDirectories(workParent);
        Path work = Files.createTempDirectory(workParent, "nyla-lucene-payload-");
        try {
            LuceneOptions write = options;
            if (base.isPresent()) {
                write = writeOptions(base.get().payload(), options);
                for (PayloadFile f : base.get().payload().files()) {
                    String name = PayloadNames.indexFileName(f, base.get().directory().toString());
                    IndexFiles.link(base.get().directory().resolve(f.name()), work.resolve(name));
                }
            }
            return new Builder(work, model, write, segments, base.isPresent(), base.map(Base::compact).orElse(false));
        } catch (IOException | RuntimeException e) {
            DurableFiles.deleteRecursively(work);
            throw e;
        }
    }

    /** The settings a payload's segments were written with, so that later segments match them. */
    static LuceneOptions writeOptions(Payload payload, LuceneOptions defaults) {
        Map<String, String> a = payload.attributes();
        LuceneOptions o = defaults;
        try {
            o = o.withHnsw(Integer.parseInt(a.getOrDefault(ATTR_MAX_CONN, "" + o.maxConn())),
                    Integer.parseInt(a.getOrDefault(ATTR_BEAM_WIDTH, "" + o.beamWidth())));
            o = o.withQuantization(Quantization.fromWireName(a.getOrDefault(ATTR_QUANTIZATION, o.quantization().wireName())));
        } catch (IllegalArgumentException e) {
            // Unknown settings: new segments use this side's own; the index stays readable either way.
        }
        return o;
    }

    /**
     * Describes the committed index in {@code indexDir} as a payload and copies its files into {@code out}
     * under their host names. {@code write} is recorded as the settings later segments should use.
     */
    static Payload packageIndex(Path indexDir, Path out, LuceneOptions write) throws IOException {
        try (Directory directory = FSDirectory.open(indexDir)) {
            SegmentInfos infos = SegmentInfos.readLatestCommit(directory);
            Map<String, String> attributes = new TreeMap<>();
            attributes.put(ATTR_SCHEMA, Schema.VERSION);
            Version committed = infos.getCommitLuceneVersion();
            attributes.put(ATTR_LUCENE_VERSION, (committed == null ? Version.LATEST : committed).toString());
            attributes.put(ATTR_CREATED_MAJOR, Integer.toString(infos.getIndexCreatedVersionMajor()));
            Version min = infos.getMinSegmentLuceneVersion();
            attributes.put(ATTR_MIN_SEGMENT_VERSION, min == null ? Version.LATEST.toString() : min.toString());
            TreeSet<String> codecs = new TreeSet<>();
            for (SegmentCommitInfo si : infos) {
                codecs.add(si.info.getCodec().getName());
            }
            if (codecs.isEmpty()) {
                codecs.add(IndexBuilder.codec(write, null).getName());
            }
            attributes.put(ATTR_CODECS, String.join(",", codecs));
            TreeSet<String> formats = new TreeSet<>();
            try (DirectoryReader reader = DirectoryReader.open(directory)) {
                for (LeafReaderContext leaf : reader.leaves()) {
                    FieldInfo fi = leaf.reader().getFieldInfos().fieldInfo(Schema.VECTOR);
                    String f = fi == null ? null : fi.getAttribute(PerFieldKnnVectorsFormat.PER_FIELD_FORMAT_KEY);
                    if (f != null) {
                        formats.add(f);
                    }
                }
            }
            if (formats.isEmpty()) {
                formats.add(IndexBuilder.codec(write, null).knnVectorsFormat().getName());
            }
            attributes.put(ATTR_VECTOR_FORMATS, String.join(",", formats));
            attributes.put(ATTR_SEGMENTS, Integer.toString(infos.size()));
            attributes.put(ATTR_MAX_CONN, Integer.toString(write.maxConn()));
            attributes.put(ATTR_BEAM_WIDTH, Integer.toString(write.beamWidth()));
            attributes.put(ATTR_QUANTIZATION, write.quantization().wireName());

            Files.createDirectories(out);
            List<PayloadFile> files = new ArrayList<>();
            for (String name : new TreeSet<>(infos.files(true))) {
                Path source = indexDir.resolve(name);
                String sha = sha256(source);
                long size = Files.size(source);
                String host = PayloadNames.hostName(sha, name);
                Path target = out.resolve(host);
                if (!Files.exists(target) || Files.size(target) != size) {
                    Path tmp = out.resolve("." + host + ".tmp");
                    Files.copy(source, tmp, StandardCopyOption.REPLACE_EXISTING);
                    DurableFiles.fsync(tmp);
                    DurableFiles.moveAtomically(tmp, target);
                }
                files.add(new PayloadFile(host, size, sha, Compression.NONE, size));
            }
            return new Payload(KIND, attributes, files);
        }
    }

    private static String sha256(Path file) throws IOException {
        MessageDigest md = ContentHash.sha256();
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static final class Builder implements NativePayloadBuilder {
        private final Path work;
        private final Directory directory;
        private final IndexBuilder index;
        private final LuceneOptions write;
        private final boolean oneSegment;
        private boolean finished;

        /** {@code compact}: rewrite the base into one segment rather than merge by {@code segments}. */
        Builder(Path work, EmbeddingModel model, LuceneOptions write, SegmentPolicy segments, boolean fromBase,
                boolean compact) throws IOException {
            this.work = work;
            this.write = write;
            this.oneSegment = !fromBase || compact;
            this.directory = FSDirectory.open(work);
            try {
                this.index = new IndexBuilder(directory, model, write, fromBase, "Lucene payload in " + work, segments);
            } catch (IOException | RuntimeException e) {
                directory.close();
                throw e;
            }
        }

        @Override
        public void add(VectorRecord record) throws IOException {
            index.add(record);
        }

        @Override
        public void delete(String tenant, String id) throws IOException {
            index.delete(tenant, id);
        }

        @Override
        public Payload finish(Path out) throws IOException {
            finished = true;
            index.commit(oneSegment, Map.of());
            Payload payload = packageIndex(work, out, write);
            close();
            return payload;
        }

        @Override
        public void close() throws IOException {
            if (!finished) {
                finished = true;
                index.abort();
            }
            directory.close();
            DurableFiles.deleteRecursively(work);
        }
    }
}
