package dev.nyla.sync.client;

import dev.nyla.sync.artifact.internal.Artifacts;
import dev.nyla.sync.store.Compression;
import dev.nyla.sync.artifact.Delta;
import dev.nyla.sync.IntegrityException;
import dev.nyla.sync.MalformedArtifactException;
import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.store.PayloadFile;
import dev.nyla.sync.internal.RecordEntry;
import dev.nyla.sync.internal.RecordFileKind;
import dev.nyla.sync.internal.RecordFileReader;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.GenerationSpec;
import dev.nyla.sync.store.GenerationWriter;
import java.io.IOException;
import java.util.Optional;

/**
 * Installs the portable records, the routes {@link InstallRoute#DELTA}, {@link InstallRoute#FULL_COMPRESSED}
 * and {@link InstallRoute#FULL_UNCOMPRESSED}: one record file is downloaded, and its entries, each checked by
 * {@link RecordChecks}, are written into a new generation (for a delta, one that starts as a copy of the
 * active generation).
 */
final class RecordsInstall implements RouteInstall {
    private final Context context;
    private final Downloads downloads;
    private final SyncEvents events;
    private final Manifest m;
    private final InstallRoute route;
    private final Optional<Generation> active;
    /** The manifest's entry for the delta file; null for a full payload. */
    private final Delta delta;
    private final PayloadFile file;

    RecordsInstall(Context context) throws IOException {
        this.context = context;
        this.downloads = context.downloads();
        this.events = context.events();
        this.m = context.manifest();
        this.route = context.route();
        this.active = context.store().activeGeneration();
        boolean isDelta = route == InstallRoute.DELTA;
        this.delta = isDelta ? m.deltaFrom(active.orElseThrow().version()).orElseThrow() : null;
        this.file = isDelta ? Artifacts.preferredEncoding(delta.files()) : RoutePlan.fileFor(m.payload().files(),
                route == InstallRoute.FULL_COMPRESSED ? Compression.GZIP : Compression.NONE);
    }

    @Override
    public void download() throws IOException {
        context.run().step(route + ": downloading " + file.name() + " (" + file.size() + " bytes)");
        events.emit(l -> l.routeStarted(route, file.size()));
        downloads.fetch(context.run().source, file, bytes -> events.emit(l -> l.downloadProgress(file.name(), bytes,
                file.size(), SyncEvents.percent(bytes, file.size()))));
    }

    @Override
    public void verified() {
        events.emit(l -> l.verified(file.name(), file.size()));
    }

    @Override
    public Generation install() throws IOException {
        GenerationSpec spec = context.spec();
        long total = delta != null ? delta.upserts() + delta.deletes() : m.records();
        try (GenerationWriter writer = delta != null ? context.store().newGeneration(spec, active.get().id())
                : context.store().newGeneration(spec)) {
            try (RecordFileReader reader = Artifacts.openRecordFile(downloads.asSource(), file, m.model().dimension(),
                    m.vectorEncoding())) {
                copy(reader, writer, total);
            } catch (IntegrityException e) {
                // The downloaded copy is damaged (on disk, after it was verified): fetch it again next time.
                downloads.discard(file);
                throw e;
            }
            if (writer.recordCount() != m.records()) {
                throw new IntegrityException(file.name(), "record count after installing version " + m.version(),
                        m.records() + " (manifest)", writer.recordCount());
            }
            // Committed only once the reader is closed, so no failure can leave a committed, unused generation.
            return writer.commit();
        }
    }

    /** Hands every entry of {@code reader} to {@code writer}, each record once it passed the {@link RecordChecks}. */
    private void copy(RecordFileReader reader, GenerationWriter writer, long total) throws IOException {
        RecordFileKind expected = delta != null ? RecordFileKind.DELTA : RecordFileKind.FULL;
        if (reader.kind() != expected) {
            throw new MalformedArtifactException(file.name(), "record file kind", expected, reader.kind());
        }
        RecordChecks checks = new RecordChecks(file.name() + " of version " + m.version(), m.model());
        long n = 0;
        for (Optional<RecordEntry> e; (e = reader.next()).isPresent(); ) {
            switch (e.get()) {
                case RecordEntry.Upsert u -> {
                    checks.check(u.record());
                    writer.add(u.record());
                }
                case RecordEntry.Delete del -> writer.delete(del.tenant(), del.id());
            }
            if (++n % 1000 == 0) {
                long done = n;
                events.emit(l -> l.installProgress(done, total, (int) Math.min(99, done * 100 / Math.max(1, total))));
            }
        }
        if (delta != null) {
            checks.checkCounts(delta, reader.upserts(), reader.deletes());
        }
        long done = n;
        events.emit(l -> l.installProgress(done, total, 100));
    }
}
