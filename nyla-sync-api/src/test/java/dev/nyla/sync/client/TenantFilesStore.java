package dev.nyla.sync.client;

import dev.nyla.sync.ArtifactException;
import dev.nyla.sync.IntegrityException;
import dev.nyla.sync.UnsupportedFormatException;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.internal.DurableFiles;
import dev.nyla.sync.internal.RecordEntry;
import dev.nyla.sync.internal.RecordFileReader;
import dev.nyla.sync.nativepayload.NativeFormatStore;
import dev.nyla.sync.nativepayload.NativeInstall;
import dev.nyla.sync.nativepayload.NativeInstaller;
import dev.nyla.sync.publish.TenantFilesFormat;
import dev.nyla.sync.store.ForwardingVectorStore;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.GenerationSpec;
import dev.nyla.sync.store.GenerationWriter;
import dev.nyla.sync.store.Payload;
import dev.nyla.sync.store.PayloadFile;
import dev.nyla.sync.store.StoreException;
import dev.nyla.sync.store.internal.MemoryVectorStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A store for tests that installs {@link TenantFilesFormat} payloads as a real store-native installer would:
 * it keeps the files it installed in its own directory, reuses the ones it holds, runs each file's own
 * checks (the record file's trailer SHA-256) at commit, and loads the records into the
 * {@link MemoryVectorStore} it wraps. Every other method delegates to that store.
 */
final class TenantFilesStore extends ForwardingVectorStore implements NativeFormatStore {
    private final Path files;
    private final String readableLayout;
    /** A store bug for tests: one record fewer than the files hold ends up in the generation. */
    volatile boolean loseARecord;

    /** A store keeping its files in {@code directory}, reading layout version {@code readableLayout}. */
    TenantFilesStore(Path directory, String readableLayout) throws IOException {
        super(new MemoryVectorStore());
        this.files = Files.createDirectories(directory);
        this.readableLayout = readableLayout;
    }

    /** Where the installed files are kept. */
    Path filesDirectory() {
        return files;
    }

    /** The installed copy of {@code file}. */
    Path file(PayloadFile file) {
        return files.resolve(file.name());
    }

    @Override
    public NativeInstaller nativeInstaller() {
        return new Installer();
    }

    private final class Installer implements NativeInstaller {
        @Override
        public String kind() {
            return TenantFilesFormat.KIND;
        }

        @Override
        public void checkReadable(Payload payload, String where) throws UnsupportedFormatException {
            String layout = payload.attributes().getOrDefault(TenantFilesFormat.LAYOUT, "none");
            if (!layout.equals(readableLayout)) {
                throw new UnsupportedFormatException(where, "tenant-files layout", readableLayout, layout);
            }
        }

        @Override
        public List<PayloadFile> missingFiles(Payload payload) {
            // Content-addressed names: a file of that name and size is the one the payload means.
            return payload.files().stream().filter(f -> !held(f)).toList();
        }

        private boolean held(PayloadFile f) {
            try {
                return Files.isRegularFile(file(f)) && Files.size(file(f)) == f.size();
            } catch (IOException e) {
                return false;
            }
        }

        @Override
        public NativeInstall begin(GenerationSpec spec, Payload payload, boolean reuseLocalFiles) throws IOException {
            List<PayloadFile> toFetch = reuseLocalFiles ? missingFiles(payload) : payload.files();
            return new Install(spec, payload, toFetch, Files.createTempDirectory(files, "install-"));
        }
    }

    private final class Install implements NativeInstall {
        private final GenerationSpec spec;
        private final Payload payload;
        private final List<PayloadFile> toFetch;
        private final Path staging;
        private final Set<String> put = new HashSet<>();

        Install(GenerationSpec spec, Payload payload, List<PayloadFile> toFetch, Path staging) {
            this.spec = spec;
            this.payload = payload;
            this.toFetch = toFetch;
            this.staging = staging;
        }

        @Override
        public List<PayloadFile> filesToFetch() {
            return toFetch;
        }

        @Override
        public void put(PayloadFile file, Path verified) throws IOException {
            if (!toFetch.contains(file)) {
                throw new IllegalArgumentException(file.name() + " is not a file to fetch");
            }
            Files.move(verified, staging.resolve(file.name()), StandardCopyOption.REPLACE_EXISTING);
            put.add(file.name());
        }

        @Override
        public Generation commit() throws IOException {
            for (PayloadFile f : toFetch) {
                if (!put.contains(f.name())) {
                    throw new StoreException(f.name(), "file of the install", "put", "missing");
                }
            }
            List<VectorRecord> records = new ArrayList<>();
            for (PayloadFile f : payload.files()) {
                Path source = put.contains(f.name()) ? staging.resolve(f.name()) : file(f);
                read(source, records);
            }
            if (loseARecord) {
                records.remove(records.size() - 1);
            }
            Generation g;
            try (GenerationWriter w = delegate.newGeneration(spec)) {
                for (VectorRecord r : records) {
                    w.add(r);
                }
                g = w.commit();
            }
            for (String name : put) {
                // Replaces a damaged copy too: a full install brings every file fresh.
                Files.move(staging.resolve(name), files.resolve(name), StandardCopyOption.REPLACE_EXISTING);
            }
            return g;
        }

        private void read(Path file, List<VectorRecord> into) throws IOException {
            try (RecordFileReader reader = RecordFileReader.open(Files.newInputStream(file), file.toString(),
                    spec.model().dimension())) {
                for (Optional<RecordEntry> e; (e = reader.next()).isPresent(); ) {
                    into.add(((RecordEntry.Upsert) e.get()).record());
                }
            } catch (IntegrityException e) {
                throw e;
            } catch (ArtifactException e) {
                // A damaged file may break the format before its trailer is reached: it is still a damaged file.
                throw new IntegrityException(file + ": fails its format's checks: " + e.getMessage(), e);
            }
        }

        @Override
        public void close() throws IOException {
            // After a commit only the empty staging directory is left; before it, whatever was put.
            DurableFiles.deleteRecursively(staging);
        }
    }

    // ------------------------------------------------------------------- everything else is forwarded

    @Override
    public String location() {
        return "tenant-files:" + files;
    }
}
