package dev.nyla.sync.publish;

import dev.nyla.sync.ArtifactException;
import dev.nyla.sync.RecordKeys;
import dev.nyla.sync.SourceRecord;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.artifact.DirectoryArtifactSource;
import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.artifact.internal.Artifacts;
import dev.nyla.sync.internal.RecordEntry;
import dev.nyla.sync.internal.RecordFileReader;
import dev.nyla.sync.store.Compression;
import dev.nyla.sync.store.PayloadFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Reading the full record payload of a version the publisher wrote (the previous version, or the new one when
 * writing deltas): as a stream of upserts in key order, one record in memory at a time.
 */
final class FullPayloads {
    private FullPayloads() {
    }

    /** Opens the full payload of {@code manifest}, published in {@code dir}. */
    static RecordFileReader open(Manifest manifest, Path dir) throws IOException {
        return Artifacts.openRecordFile(new DirectoryArtifactSource(dir), plainFirst(manifest.payload().files()),
                manifest.model().dimension(), manifest.vectorEncoding());
    }

    /** The next record of the previous version's full payload; null at its end or without a reader. */
    static VectorRecord nextPrevious(RecordFileReader reader) throws IOException {
        return reader == null ? null : next(reader, "previous full payload");
    }

    /**
     * The next record of a full payload, null at its end.
     *
     * @param subject what the file is, for the message when it holds a deletion
     */
    static VectorRecord next(RecordFileReader reader, String subject) throws IOException {
        Optional<RecordEntry> e = reader.next();
        if (e.isEmpty()) {
            return null;
        }
        if (!(e.get() instanceof RecordEntry.Upsert upsert)) {
            throw new ArtifactException(subject, "entry " + e.get().tenant() + "/" + e.get().id(),
                    "an upsert", "a deletion (is the manifest pointing at a delta?)");
        }
        return upsert.record();
    }

    /** Reading a local version is fastest without decompression. */
    static PayloadFile plainFirst(List<PayloadFile> files) {
        return files.stream().filter(f -> f.compression() == Compression.NONE).findFirst().orElse(files.get(0));
    }

    /**
     * How many records a publication will embed: all of them without previous vectors to reuse (no previous
     * version, another model, float16 before float32 now), else those whose key is new or whose content hash
     * changed. A streaming merge of the sorted records with the previous full payload, as the publication
     * itself does, so memory stays one record whatever the size.
     */
    static long toEmbed(List<SourceRecord> records, Manifest previous, Path previousDir, boolean reuseVectors,
                        String fingerprint) throws IOException {
        if (previous == null || !reuseVectors) {
            return records.size();
        }
        long count = 0;
        try (RecordFileReader prev = open(previous, previousDir)) {
            VectorRecord p = nextPrevious(prev);
            for (SourceRecord s : records) {
                while (p != null && RecordKeys.compare(p.tenant(), p.id(), s.tenant(), s.id()) < 0) {
                    p = nextPrevious(prev);
                }
                if (p != null && p.tenant().equals(s.tenant()) && p.id().equals(s.id())) {
                    if (!p.contentHash().equals(s.contentHash(fingerprint))) {
                        count++;
                    }
                    p = nextPrevious(prev);
                } else {
                    count++;
                }
            }
        }
        return count;
    }
}
