package dev.nyla.sync.djl;

import ai.djl.util.Utils;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DJL's process-wide settings, which it reads from system properties (or the same-named environment
 * variables): offline mode, so that nothing is ever downloaded, and the cache directory where native
 * libraries are extracted.
 */
final class DjlRuntime {
    private static final Logger LOG = LoggerFactory.getLogger(DjlRuntime.class);

    private DjlRuntime() {
    }

    static synchronized void configure(Path cacheDirectory) {
        // Offline unless the application decided otherwise: a missing file must fail, not trigger a download.
        if (System.getProperty("ai.djl.offline") == null && System.getenv("DJL_OFFLINE") == null) {
            System.setProperty("ai.djl.offline", "true");
            System.setProperty("offline", "true");
        }
        if (cacheDirectory != null) {
            String dir = cacheDirectory.toAbsolutePath().toString();
            String before = System.getProperty("DJL_CACHE_DIR");
            if (before != null && !before.equals(dir)) {
                LOG.warn("DJL_CACHE_DIR was {} and is now {}: engines already loaded keep their natives where they are",
                        before, dir);
            }
            System.setProperty("DJL_CACHE_DIR", dir);
            System.setProperty("ENGINE_CACHE_DIR", dir);
        }
    }

    static Path cacheDirectory() {
        return Utils.getCacheDir();
    }
}
