package dev.nyla.sync.publish;

import dev.nyla.sync.RecordKeys;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.ArtifactException;
import dev.nyla.sync.artifact.internal.Artifacts;
import dev.nyla.sync.artifact.Delta;
import dev.nyla.sync.artifact.DirectoryArtifactSource;
import dev.nyla.sync.store.PayloadFile;
import dev.nyla.sync.internal.RecordEntry;
import dev.nyla.sync.internal.RecordFileKind;
import dev.nyla.sync.VectorEncoding;
import dev.nyla.sync.internal.RecordFileReader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one delta: the exact difference between an older version's full payload and the new one, found by
 * a streaming merge of the two sorted record files, so memory stays two records whatever their size. Every
 * record whose key is new or whose record differs in any byte (text, metadata, content hash, vector bits)
 * is upserted and every key gone is deleted, so a store holding the older version that applies the delta
 * holds exactly the new full payload.
 *
 * <p>Deltas are stored gzip-compressed only: a client downloads a delta in its preferred encoding, and
 * when that fails it installs the full payload, so a plain copy would cost site and manifest bytes and
 * serve no one (every reference client since the first has done so).
 *
 * <p>The older payload is read through the usual checks (size and SHA-256 against its signed manifest);
 * when it is missing or does not verify, no delta is written from it and the publication goes on: a client
 * of that version installs the full payload, as it would without the delta.
 */
final class DeltaWriter {
    private static final Logger LOG = LoggerFactory.getLogger(DeltaWriter.class);

    private final Path out;
    private final int dimension;
    private final VectorEncoding encoding;
    private final int gzipLevel;

    /**
     * @param out       the directory of the new version, where its full payload is and the delta goes
     * @param dimension the dimension of both versions' vectors
     * @param encoding  the vector encoding of both versions
     */
    DeltaWriter(Path out, int dimension, VectorEncoding encoding, int gzipLevel) {
        this.out = out;
        this.dimension = dimension;
        this.encoding = encoding;
        this.gzipLevel = gzipLevel;
    }

    /**
     * Writes the delta from {@code base} to the new full payload {@code current} (a file in {@code out}).
     *
     * @return the delta, or empty when the base's payload cannot be read (logged with the reason)
     * @throws IOException when the new payload cannot be read or the delta cannot be written
     */
    Optional<Delta> write(DeltaWindow.Base base, PayloadFile current) throws IOException {
        long from = base.manifest().version();
        try (EncodedRecordFile delta = new EncodedRecordFile(out, "delta-" + from, RecordFileKind.DELTA, dimension,
                encoding, gzipLevel, false);
             RecordFileReader now = Artifacts.openRecordFile(new DirectoryArtifactSource(out), current, dimension, encoding);
             Old old = new Old(base, dimension)) {
            VectorRecord o = old.next();
            VectorRecord n = FullPayloads.next(now, "new full payload");
            while (o != null || n != null) {
                int c = o == null ? 1 : n == null ? -1 : RecordKeys.compare(o.tenant(), o.id(), n.tenant(), n.id());
                if (c < 0) {
                    delta.delete(o.tenant(), o.id());
                    o = old.next();
                } else if (c > 0) {
                    delta.upsert(n);
                    n = FullPayloads.next(now, "new full payload");
                } else {
                    // Exact equality, vector bits included: a record re-embedded to the same content hash
                    // but another vector must reach the client too.
                    if (!o.equals(n)) {
                        delta.upsert(n);
                    }
                    o = old.next();
                    n = FullPayloads.next(now, "new full payload");
                }
            }
            return Optional.of(new Delta(from, delta.upserts(), delta.deletes(), delta.finish()));
        } catch (UnusableBase e) {
            LOG.warn("no delta from version {}: its full payload {} cannot be used: {}", from, base.file().name(),
                    e.getCause().getMessage());
            return Optional.empty();
        }
    }

    /**
     * The older version's payload, read through every check; any failure reading it is an {@link UnusableBase},
     * so that it skips this delta while a failure of the new payload or of the delta's own files fails the
     * publication.
     */
    private static final class Old implements AutoCloseable {
        private final RecordFileReader reader;

        Old(DeltaWindow.Base base, int dimension) throws UnusableBase {
            try {
                reader = Artifacts.openRecordFile(new DirectoryArtifactSource(base.directory()), base.file(), dimension,
                        base.manifest().vectorEncoding());
            } catch (IOException e) {
                throw new UnusableBase(e);
            }
            if (reader.kind() != RecordFileKind.FULL) {
                UnusableBase e = new UnusableBase(new ArtifactException(base.file().name(), "record file kind",
                        RecordFileKind.FULL, reader.kind()));
                close();
                throw e;
            }
        }

        VectorRecord next() throws UnusableBase {
            try {
                Optional<RecordEntry> e = reader.next();
                // A full file holds upserts only: the reader refuses a deletion in it.
                return e.map(entry -> ((RecordEntry.Upsert) entry).record()).orElse(null);
            } catch (IOException e) {
                throw new UnusableBase(e);
            }
        }

        @Override
        public void close() {
            try {
                reader.close();
            } catch (IOException e) {
                // Everything needed was read and checked; an error releasing the file changes nothing.
                LOG.debug("closing {} failed: {}", reader, e.toString());
            }
        }
    }

    /** The older version's payload failed to open or to read; its cause says why. */
    private static final class UnusableBase extends IOException {
        private static final long serialVersionUID = 1L;

        UnusableBase(IOException cause) {
            super(cause.getMessage(), cause);
        }
    }
}
