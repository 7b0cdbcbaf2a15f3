package dev.nyla.sync.client;

import dev.nyla.sync.IntegrityException;
import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.nativepayload.NativeInstall;
import dev.nyla.sync.nativepayload.NativeInstaller;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.Payload;
import dev.nyla.sync.store.PayloadFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Installs a store-native payload, the routes {@link InstallRoute#NATIVE_DELTA} and
 * {@link InstallRoute#NATIVE_FULL}: the store names the files it lacks (every file for the full route), they
 * are downloaded and verified like any payload file and handed over, and the store runs its own checks as
 * it commits. Nothing is built on the client.
 */
final class NativePayloadInstall implements RouteInstall {
    private final Context context;
    private final Manifest m;
    private final NativeInstaller installer;
    private final Payload payload;
    private NativeInstall install;
    private List<PayloadFile> files = List.of();
    private final List<Path> downloaded = new ArrayList<>();

    NativePayloadInstall(Context context, NativeInstaller installer, Payload payload) {
        this.context = context;
        this.m = context.manifest();
        this.installer = installer;
        this.payload = payload;
    }

    @Override
    public void download() throws IOException {
        InstallRoute route = context.route();
        install = installer.begin(context.spec(), payload, route == InstallRoute.NATIVE_DELTA);
        files = install.filesToFetch();
        long total = RoutePlan.totalSize(files);
        context.run().step(route + ": downloading " + files.size() + " of the " + payload.files().size() + " "
                + payload.kind() + " files (" + total + " bytes)");
        context.events().emit(l -> l.routeStarted(route, total));
        long before = 0;
        for (PayloadFile f : files) {
            long earlier = before;
            // The store's own check of the file (Lucene: its CRC32) rides along the SHA-256 pass: one read.
            downloaded.add(context.downloads().fetchVerified(context.run().source, f, () -> install.streamingCheck(f),
                    bytes -> context.events().emit(l -> l.downloadProgress(f.name(), bytes, f.size(),
                            SyncEvents.percent(earlier + bytes, total)))));
            before += f.size();
        }
    }

    @Override
    public void verified() throws IOException {
        for (int i = 0; i < files.size(); i++) {
            PayloadFile f = files.get(i);
            context.events().emit(l -> l.verified(f.name(), f.size()));
            install.put(f, downloaded.get(i));
        }
    }

    @Override
    public Generation install() throws IOException {
        Generation built;
        try {
            built = install.commit();
        } catch (IntegrityException e) {
            // A file damaged on disk after it was verified fails the store's own checks: fetch it again next time.
            for (PayloadFile f : files) {
                context.downloads().discard(f);
            }
            throw e;
        }
        if (built.recordCount() != m.records()) {
            GenerationSwitch.discard(context.store(), built);
            throw new IntegrityException(payload.kind() + " payload of version " + m.version(),
                    "record count after installing", m.records() + " (manifest)", built.recordCount());
        }
        context.events().emit(l -> l.installProgress(built.recordCount(), m.records(), 100));
        return built;
    }

    /** Ends the store's install, which discards what it wrote unless it committed. */
    @Override
    public void close() throws IOException {
        if (install != null) {
            install.close();
        }
    }
}
