package dev.nyla.sync.store;

import dev.nyla.sync.internal.Locations;
import dev.nyla.sync.internal.NamedProviders;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Opens a {@link VectorStore} by location, choosing the adapter by the location's scheme. Adapters are found
 * by {@link java.util.ServiceLoader} once per class loader and kept; a scheme claimed by two adapters is
 * refused with a {@link StoreException} naming both, rather than given to whichever the class path lists
 * first.
 */
public final class VectorStores {
    /** The adapters on each class loader's path, by scheme, looked up once. */
    private static final NamedProviders<VectorStoreProvider> PROVIDERS = new NamedProviders<>(
            VectorStoreProvider.class, "scheme", "store adapter", VectorStoreProvider::scheme);

    private VectorStores() {
    }

    /**
     * Opens the store at {@code location}, e.g. {@code memory:}, {@code lucene:/var/nyla/store}.
     *
     * @throws StoreException when no adapter on the class path serves the scheme (the message lists those
     *         that do), two adapters claim it (the message names both), or the adapter cannot open the location
     * @throws StoreLockedException when the adapter takes a writer's lock and another process holds it
     * @throws StoreAccessException naming the path and what to do when the operating system refuses access
     */
    public static VectorStore open(String location) throws IOException {
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        return open(location, context != null ? context : VectorStores.class.getClassLoader());
    }

    /** As {@link #open(String)}, finding adapters with {@code loader} (for plugin and container class loaders). */
    public static VectorStore open(String location, ClassLoader loader) throws IOException {
        VectorStoreProvider provider = provider(location, loader);
        try {
            return provider.open(location);
        } catch (IOException e) {
            throw accessDenied(Locations.redact(location), true, e);
        }
    }

    /**
     * Opens the existing store at {@code location} for reading only (see {@link VectorStoreProvider#openReadOnly}):
     * it works beside a writer that holds the store in another process, and for a user who may only read the
     * store's files; it creates, locks and cleans up nothing. Writes are refused with a
     * {@link ReadOnlyStoreException}.
     *
     * @throws StoreAccessException naming the path and what to do when the operating system refuses access
     * @throws StoreException as {@link #open(String)}, and when there is no store at the location
     */
    public static VectorStore openReadOnly(String location) throws IOException {
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        return openReadOnly(location, context != null ? context : VectorStores.class.getClassLoader());
    }

    /** As {@link #openReadOnly(String)}, finding adapters with {@code loader}. */
    public static VectorStore openReadOnly(String location, ClassLoader loader) throws IOException {
        VectorStoreProvider provider = provider(location, loader);
        try {
            return provider.openReadOnly(location);
        } catch (IOException e) {
            throw accessDenied(Locations.redact(location), false, e);
        }
    }

    /**
     * An adapter's refusal by the operating system (permissions, a read-only file system), wherever in the
     * chain of causes, as a {@link StoreAccessException} that says what to do; other failures as they are.
     */
    private static IOException accessDenied(String location, boolean forWriting, IOException e) {
        if (e instanceof StoreAccessException) {
            return e;
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof AccessDeniedException || t instanceof FileSystemException f && f.getReason() != null
                    && f.getReason().contains("Read-only file system")) {
                FileSystemException refused = (FileSystemException) t;
                Path path = Path.of(refused.getFile() == null ? "?" : refused.getFile());
                return StoreAccessException.of(location, path, forWriting, refused);
            }
        }
        return e;
    }

    private static VectorStoreProvider provider(String location, ClassLoader loader) throws StoreException {
        int colon = location.indexOf(':');
        Map<String, List<VectorStoreProvider>> providers = PROVIDERS.all(loader);
        // Named without a password: a jdbc: URL given where no JDBC adapter is on the class path lands here.
        String shown = Locations.redact(location);
        if (colon < 1) {
            throw new StoreException("store location '" + shown + "': expected <scheme>:<where>, one of: "
                    + describe(providers));
        }
        String scheme = location.substring(0, colon);
        List<VectorStoreProvider> claiming = providers.getOrDefault(scheme, List.of());
        if (claiming.isEmpty()) {
            throw new StoreException("store location '" + shown + "': no store adapter for scheme '" + scheme
                    + "' on the class path; available: " + describe(providers));
        }
        if (claiming.size() > 1) {
            throw new StoreException("store location '" + shown + "': " + PROVIDERS.conflict(scheme, claiming));
        }
        return claiming.get(0);
    }

    /**
     * The schemes served by the adapters on the class path, each with its location syntax. A scheme claimed by
     * several adapters, which {@link #open} refuses, shows each one's syntax and says so.
     */
    public static Map<String, String> availableSchemes() {
        Map<String, String> out = new TreeMap<>();
        PROVIDERS.all(VectorStores.class.getClassLoader()).forEach((scheme, claiming) -> out.put(scheme,
                claiming.size() == 1 ? claiming.get(0).locationSyntax() : syntaxes(claiming) + " (claimed by "
                        + claiming.size() + " store adapters: opening it fails until all but one are removed)"));
        return out;
    }

    private static String describe(Map<String, List<VectorStoreProvider>> providers) {
        String all = syntaxes(providers.values().stream().flatMap(List::stream).toList());
        return all.isEmpty() ? "(none)" : all;
    }

    private static String syntaxes(List<VectorStoreProvider> providers) {
        return providers.stream().map(VectorStoreProvider::locationSyntax).collect(Collectors.joining(", "));
    }
}
