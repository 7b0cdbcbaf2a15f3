package dev.nyla.sync.client;

import dev.nyla.sync.UnsupportedFormatException;
import dev.nyla.sync.artifact.Delta;
import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.artifact.internal.Artifacts;
import dev.nyla.sync.nativepayload.NativeInstaller;
import dev.nyla.sync.store.Compression;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.Payload;
import dev.nyla.sync.store.PayloadFile;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The routes to try, in order, and what the native ones install: the store-native payload when there is
 * one for this store (its delta, reusing local files, when the store holds some of them; then all of its
 * files), then the records (delta → full compressed → full uncompressed, the cheapest first by the sizes
 * the manifest declares: a delta no smaller than the full payload's smallest encoding comes after the full
 * routes, as a last resort), then a local rebuild.
 *
 * @param installer        the store's installer for the native routes; null when there are none
 * @param nativePayload    the store-native payload the native routes install; null when there are none
 * @param nativeDeltaBytes what {@link InstallRoute#NATIVE_DELTA} downloads: the files the store lacks
 */
record RoutePlan(List<InstallRoute> routes, NativeInstaller installer, Payload nativePayload, long nativeDeltaBytes) {

    /**
     * Plans the routes for installing {@code m} over {@code active}.
     *
     * @param installer  the store's installer of native payloads, null when it has none
     * @param canRebuild whether a local rebuild is configured
     * @param forced     a forced update repairs a damaged store: no delta, nothing local is trusted
     */
    static RoutePlan of(SyncRun run, Manifest m, String name, Optional<Generation> active, NativeInstaller installer,
                        boolean canRebuild, boolean forced) {
        List<InstallRoute> routes = new ArrayList<>();
        Payload nativePayload = installer == null ? null : installableNativePayload(run, installer, m, name).orElse(null);
        long nativeDeltaBytes = 0;
        if (nativePayload != null) {
            // A forced update repairs a damaged store: nothing local is trusted, as for the records' delta.
            if (!forced) {
                try {
                    List<PayloadFile> missing = installer.missingFiles(nativePayload);
                    if (missing.size() < nativePayload.files().size()) {
                        routes.add(InstallRoute.NATIVE_DELTA);
                        nativeDeltaBytes = totalSize(missing);
                    }
                } catch (IOException e) {
                    run.step("cannot tell which " + nativePayload.kind() + " files the store holds (" + e.getMessage()
                            + "); downloading all of them");
                }
            }
            routes.add(InstallRoute.NATIVE_FULL);
        }
        Optional<Delta> delta = forced || active.isEmpty() || !active.get().model().isCompatibleWith(m.model())
                ? Optional.empty() : m.deltaFrom(active.get().version());
        long deltaBytes = delta.map(d -> Artifacts.preferredEncoding(d.files()).size()).orElse(0L);
        boolean deltaFirst = delta.isPresent() && deltaBytes < smallestEncoding(m);
        if (deltaFirst) {
            routes.add(InstallRoute.DELTA);
        } else if (delta.isPresent()) {
            run.step("the delta from version " + delta.get().fromVersion() + " (" + deltaBytes + " bytes) is no smaller "
                    + "than the full payload (" + smallestEncoding(m) + " bytes): installing the full payload");
        }
        if (m.payload().files().stream().anyMatch(f -> f.compression() == Compression.GZIP)) {
            routes.add(InstallRoute.FULL_COMPRESSED);
        }
        if (m.payload().files().stream().anyMatch(f -> f.compression() == Compression.NONE)) {
            routes.add(InstallRoute.FULL_UNCOMPRESSED);
        }
        if (delta.isPresent() && !deltaFirst) {
            routes.add(InstallRoute.DELTA);
        }
        if (active.isEmpty() && canRebuild) {
            routes.add(InstallRoute.LOCAL_REBUILD);
        }
        return new RoutePlan(routes, installer, nativePayload, nativeDeltaBytes);
    }

    /**
     * The manifest's store-native payload of the kind the store installs, when the store can read it. When it
     * cannot, or there is none, the records serve, as for any other store: a step says why.
     */
    private static Optional<Payload> installableNativePayload(SyncRun run, NativeInstaller installer, Manifest m,
                                                              String name) {
        String kind = installer.kind();
        Optional<Payload> payload = m.nativePayload(kind);
        if (payload.isEmpty()) {
            run.step("version " + m.version() + " has no " + kind + " payload; installing from the records");
            return Optional.empty();
        }
        if (payload.get().files().stream().anyMatch(f -> f.compression() != Compression.NONE)) {
            run.step("the " + kind + " payload is skipped: it has compressed files, and this client hands native "
                    + "files to the store as stored; installing from the records");
            return Optional.empty();
        }
        try {
            installer.checkReadable(payload.get(), name);
        } catch (UnsupportedFormatException e) {
            run.step("the " + kind + " payload is skipped, the store cannot read it: " + e.getMessage()
                    + "; installing from the records");
            return Optional.empty();
        }
        return payload;
    }

    /** Bytes {@code route} downloads. */
    long downloadBytes(Manifest m, Optional<Generation> active, InstallRoute route) {
        return switch (route) {
            case NATIVE_DELTA -> nativeDeltaBytes;
            case NATIVE_FULL -> totalSize(nativePayload.files());
            case DELTA -> Artifacts.preferredEncoding(m.deltaFrom(active.orElseThrow().version()).orElseThrow()
                    .files()).size();
            case FULL_COMPRESSED -> fileFor(m.payload().files(), Compression.GZIP).size();
            case FULL_UNCOMPRESSED -> fileFor(m.payload().files(), Compression.NONE).size();
            case LOCAL_REBUILD -> 0;
        };
    }

    /**
     * The size of the full payload {@code route} belongs to, what its download compares with: the native
     * payload's files for native routes, the smallest encoding of the records for the others.
     */
    long fullBytes(Manifest m, InstallRoute route) {
        return route.isNative() ? totalSize(nativePayload.files()) : smallestEncoding(m);
    }

    static long totalSize(List<PayloadFile> files) {
        return files.stream().mapToLong(PayloadFile::size).sum();
    }

    /** The size of the records' smallest encoding: what a full install downloads at least. */
    static long smallestEncoding(Manifest m) {
        return m.payload().files().stream().mapToLong(PayloadFile::size).min().orElse(0);
    }

    /** The records file of {@code files} in {@code compression}. */
    static PayloadFile fileFor(List<PayloadFile> files, Compression compression) {
        return files.stream().filter(f -> f.compression() == compression).findFirst().orElseThrow();
    }
}
