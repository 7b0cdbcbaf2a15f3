package dev.nyla.sync.client;

import dev.nyla.sync.IntegrityException;
import dev.nyla.sync.LimitExceededException;
import dev.nyla.sync.artifact.ArtifactSource;
import dev.nyla.sync.artifact.DirectoryArtifactSource;
import dev.nyla.sync.internal.DurableFiles;
import dev.nyla.sync.internal.VerifyingInputStream;
import dev.nyla.sync.internal.Writeback;
import dev.nyla.sync.nativepayload.StreamingCheck;
import dev.nyla.sync.store.PayloadFile;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The download area: payload files are fetched into {@code <name>.part}, hashed while streaming, forced to
 * disk, and renamed to {@code <name>} only once size and SHA-256 match the signed manifest. A broken download
 * (even one cut short by a crash) resumes from the bytes already on disk; the hash then covers them too, as
 * does a store's {@link StreamingCheck}, which sees every byte in the same pass.
 */
final class Downloads {
    private static final Logger LOG = LoggerFactory.getLogger(Downloads.class);
    private static final int PROGRESS_STEP = 1 << 20;

    /** Receives progress of one file: bytes on disk so far, resumed ones included. */
    interface Progress {
        void update(long bytes);
    }

    private final Path dir;
    private long fetched;

    Downloads(Path dir) throws IOException {
        this.dir = dir;
        Files.createDirectories(dir);
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                // An atomic write cut short; every other file is a verified download or a resumable .part.
                if (p.getFileName().toString().endsWith(".tmp")) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** The downloaded files as an artifact source, so installs read them through the same checks. */
    ArtifactSource asSource() {
        return new DirectoryArtifactSource(dir);
    }

    /** Bytes fetched from sources since the last call, and resets the count. */
    long takeFetchedBytes() {
        long n = fetched;
        fetched = 0;
        return n;
    }

    /**
     * Makes {@code file} present and verified in the download area, fetching (or resuming) it from
     * {@code source}.
     *
     * @throws IntegrityException when the fetched bytes are not the signed ones (the file is removed), or the
     *         source ended early (the bytes so far are kept, and the next attempt resumes after them)
     */
    Path fetch(ArtifactSource source, PayloadFile file, Progress progress) throws IOException {
        return fetch(source, file, () -> StreamingCheck.NONE, progress);
    }

    /**
     * As {@link #fetch(ArtifactSource, PayloadFile, Progress)}, feeding every byte of each pass over the file
     * (resumed bytes included) to a new check from {@code checks}, completed when the pass verified.
     */
    Path fetch(ArtifactSource source, PayloadFile file, Supplier<StreamingCheck> checks, Progress progress)
            throws IOException {
        Path done = dir.resolve(file.name());
        if (Files.isRegularFile(done) && Files.size(done) == file.size()) {
            // Verified when it was renamed here; the install reads it through the hash check again.
            progress.update(file.size());
            return done;
        }
        Path part = dir.resolve(file.name() + ".part");
        boolean started = Files.isRegularFile(part);
        long have = started ? Files.size(part) : 0;
        if (have > file.size()) {
            Files.delete(part);
            started = false;
            have = 0;
        }
        try {
            // A part file must exist to count as complete: a file declared empty is fetched like any other.
            if (started && have == file.size()) {
                // Complete but not renamed (a crash in between): check it here, nothing left to ask the source,
                // and force it, which the crash may have prevented: a file renamed to its name is on disk.
                checkLocally(part, file, checks.get());
                DurableFiles.fsync(part);
            } else {
                download(source, file, part, have, checks.get(), progress);
            }
        } catch (IntegrityException | LimitExceededException e) {
            if (Files.isRegularFile(part) && Files.size(part) < file.size()) {
                // Cut short, not wrong: the bytes so far are kept for the next attempt to resume.
                throw e;
            }
            // Bytes on disk or on the wire are not the signed ones: resuming would repeat the failure.
            Files.deleteIfExists(part);
            if (have == 0) {
                throw e;
            }
            LOG.warn("{}: resumed download failed verification ({}); downloading it again from the start",
                    file.name(), e.getMessage());
            try {
                download(source, file, part, 0, checks.get(), progress);
            } catch (IntegrityException | LimitExceededException again) {
                if (Files.size(part) >= file.size()) {
                    Files.deleteIfExists(part);
                }
                again.addSuppressed(e);
                throw again;
            }
        }
        // Renamed without forcing the directory: the content is forced already (download), and a rename lost
        // in a power cut leaves a complete part file, which the next attempt checks and renames again.
        Files.move(part, done, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return done;
    }

    /**
     * As {@link #fetch}, for a file handed to a store as it is stored instead of being read through the
     * checks again: a copy found already downloaded (by an earlier, failed attempt) is hashed before it is
     * trusted, and fetched again when it no longer matches. Every pass over the file's bytes (download,
     * resumed download, or the hash of the earlier copy) feeds a new check from {@code checks}.
     */
    Path fetchVerified(ArtifactSource source, PayloadFile file, Supplier<StreamingCheck> checks, Progress progress)
            throws IOException {
        Path done = dir.resolve(file.name());
        if (Files.isRegularFile(done)) {
            try {
                checkLocally(done, file, checks.get());
                progress.update(file.size());
                return done;
            } catch (IntegrityException | LimitExceededException e) {
                LOG.warn("{}: the earlier download was damaged since ({}); downloading it again", file.name(),
                        e.getMessage());
                Files.delete(done);
            }
        }
        return fetch(source, file, checks, progress);
    }

    /** Forgets a downloaded file found damaged at install, so the next attempt fetches it again. */
    void discard(PayloadFile file) throws IOException {
        Files.deleteIfExists(dir.resolve(file.name()));
        Files.deleteIfExists(dir.resolve(file.name() + ".part"));
    }

    private static void checkLocally(Path local, PayloadFile file, StreamingCheck check) throws IOException {
        try (VerifyingInputStream in = VerifyingInputStream.of(Files.newInputStream(local), file.size(), file.sha256(),
                local.toString(), check::update)) {
            in.drainAndVerify();
        }
        check.complete();
    }

    private void download(ArtifactSource source, PayloadFile file, Path part, long offset, StreamingCheck check,
                          Progress progress) throws IOException {
        String name = source.describe(file.name());
        try (FileChannel out = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            out.truncate(offset);
            out.position(offset);
            VerifyingInputStream in;
            InputStream remote = source.open(file.name(), offset);
            try {
                if (offset == 0) {
                    in = VerifyingInputStream.of(remote, file.size(), file.sha256(), name, check::update);
                } else {
                    try (InputStream already = Files.newInputStream(part)) {
                        in = VerifyingInputStream.resumeAfter(new BoundedPrefix(already, offset), remote, file.size(),
                                file.sha256(), name, check::update);
                    }
                    LOG.info("{}: resuming at byte {} of {}", name, offset, file.size());
                }
            } catch (IOException | RuntimeException e) {
                remote.close();
                throw e;
            }
            long position = offset;
            // The disk writes the file while the rest arrives and is hashed: the force below then waits for
            // the last few megabytes only.
            try (in; Writeback writeback = Writeback.of(out, part.toString())) {
                byte[] buf = new byte[64 << 10];
                long reported = offset;
                progress.update(position);
                for (int n; (n = in.read(buf)) > 0; ) {
                    ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
                    while (bb.hasRemaining()) {
                        out.write(bb);
                    }
                    writeback.written(n);
                    position += n;
                    fetched += n;
                    if (position - reported >= PROGRESS_STEP) {
                        progress.update(position);
                        reported = position;
                    }
                }
                writeback.finish();
            } finally {
                // Also when the stream fails (a hash mismatch, a cut connection): the reports then add up to
                // the bytes fetched, which listeners count (metrics by route).
                progress.update(position);
            }
            out.force(true);
        }
        check.complete();
    }

    /** Deletes every download: called once an install committed, when they are no longer needed. */
    void clear() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                DurableFiles.deleteRecursively(p);
            }
        }
    }

    /** The first {@code limit} bytes of a stream: the part file may be longer than the offset asked for. */
    private static final class BoundedPrefix extends java.io.FilterInputStream {
        private long remaining;

        BoundedPrefix(InputStream in, long limit) {
            super(in);
            this.remaining = limit;
        }

        @Override
        public int read() throws IOException {
            if (remaining <= 0) {
                return -1;
            }
            int b = in.read();
            if (b >= 0) {
                remaining--;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (remaining <= 0) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, remaining));
            if (n > 0) {
                remaining -= n;
            }
            return n;
        }
    }
}
