package dev.nyla.sync.store;

import java.io.IOException;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** Opens a {@link VectorStore} by location, choosing the adapter by the location's scheme. */
public final class VectorStores {
    private VectorStores() {
    }

    /**
     * Opens the store at {@code location}, e.g. {@code memory:}, {@code lucene:/var/nyla/store}.
     *
     * @throws StoreException when no adapter on the class path serves the scheme (the message lists those
     *         that do) or the adapter cannot open the location
     */
    public static VectorStore open(String location) throws IOException {
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        return open(location, context != null ? context : VectorStores.class.getClassLoader());
    }

    /** As {@link #open(String)}, finding adapters with {@code loader} (for plugin and container class loaders). */
    public static VectorStore open(String location, ClassLoader loader) throws IOException {
        int colon = location.indexOf(':');
        Map<String, VectorStoreProvider> providers = providers(loader);
        if (colon < 1) {
            throw new StoreException("store location '" + location + "': expected <scheme>:<where>, one of: "
                    + describe(providers));
        }
        String scheme = location.substring(0, colon);
        VectorStoreProvider provider = providers.get(scheme);
        if (provider == null) {
            throw new StoreException("store location '" + location + "': no store adapter for scheme '" + scheme
                    + "' on the class path; available: " + describe(providers));
        }
        return provider.open(location);
    }

    /** The schemes served by the adapters on the class path, each with its location syntax. */
    public static Map<String, String> availableSchemes() {
        Map<String, String> out = new TreeMap<>();
        providers(VectorStores.class.getClassLoader()).forEach((scheme, p) -> out.put(scheme, p.locationSyntax()));
        return out;
    }

    private static Map<String, VectorStoreProvider> providers(ClassLoader loader) {
        Map<String, VectorStoreProvider> byScheme = new TreeMap<>();
        for (VectorStoreProvider p : ServiceLoader.load(VectorStoreProvider.class, loader)) {
            byScheme.putIfAbsent(p.scheme(), p);
        }
        return byScheme;
    }

    private static String describe(Map<String, VectorStoreProvider> providers) {
        StringBuilder sb = new StringBuilder();
        providers.values().forEach(p -> sb.append(sb.isEmpty() ? "" : ", ").append(p.locationSyntax()));
        return sb.isEmpty() ? "(none)" : sb.toString();
    }
}
