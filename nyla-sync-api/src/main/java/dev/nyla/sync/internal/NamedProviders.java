package dev.nyla.sync.internal;

import java.lang.ref.SoftReference;
import java.net.URL;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.WeakHashMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The providers of one service found by {@link ServiceLoader}, by the name each claims (a store's URI
 * scheme, a payload's kind), as Lucene's {@code NamedSPILoader} keeps its codecs: looked up once per class
 * loader and kept, so that opening a store does not scan the class path again. A name claimed by two
 * providers is reported when it is asked for, naming both classes and where they come from, instead of
 * being given to whichever the class path lists first.
 *
 * <p>Internal: for nyla-sync's own lookups. Thread-safe.
 *
 * @param <S> the service type
 */
public final class NamedProviders<S> {
    private final Class<S> service;
    private final String nameKind;
    private final String providerKind;
    private final Function<S, String> nameOf;
    /**
     * Per class loader. The providers refer to their class loader through their classes, so a strongly held
     * value would keep a plugin's loader (the weak key) alive for ever; a soft one lets it go under memory
     * pressure, after which the next lookup scans again.
     */
    private final Map<ClassLoader, SoftReference<SortedMap<String, List<S>>>> cache = new WeakHashMap<>();

    /**
     * @param nameKind     what the name is, for messages: {@code scheme}, {@code kind}
     * @param providerKind what a provider is, for messages: {@code store adapter}, {@code native payload format}
     * @param nameOf       the name a provider claims
     */
    public NamedProviders(Class<S> service, String nameKind, String providerKind, Function<S, String> nameOf) {
        this.service = service;
        this.nameKind = nameKind;
        this.providerKind = providerKind;
        this.nameOf = nameOf;
    }

    /** Every provider {@code loader} finds, by the name it claims, in name order. */
    public SortedMap<String, List<S>> all(ClassLoader loader) {
        synchronized (cache) {
            SoftReference<SortedMap<String, List<S>>> kept = cache.get(loader);
            SortedMap<String, List<S>> found = kept == null ? null : kept.get();
            if (found == null) {
                found = load(loader);
                cache.put(loader, new SoftReference<>(found));
            }
            return found;
        }
    }

    private SortedMap<String, List<S>> load(ClassLoader loader) {
        SortedMap<String, List<S>> byName = new TreeMap<>();
        for (S provider : ServiceLoader.load(service, loader)) {
            byName.computeIfAbsent(nameOf.apply(provider), n -> new ArrayList<>()).add(provider);
        }
        byName.replaceAll((name, providers) -> List.copyOf(providers));
        return Collections.unmodifiableSortedMap(byName);
    }

    /**
     * The provider claiming {@code name}; empty when none does.
     *
     * @throws IllegalStateException when several do, naming them and what to do
     */
    public Optional<S> get(String name, ClassLoader loader) {
        List<S> providers = all(loader).getOrDefault(name, List.of());
        if (providers.size() > 1) {
            throw new IllegalStateException(conflict(name, providers));
        }
        return providers.stream().findFirst();
    }

    /** The message for {@code name} claimed by all of {@code providers}. */
    public String conflict(String name, List<S> providers) {
        return providers.size() + " " + providerKind + "s on the class path claim the " + nameKind + " '" + name
                + "': " + providers.stream().map(NamedProviders::describe).collect(Collectors.joining(", "))
                + "; expected one: remove all but one of them from the class path (or their entries in "
                + "META-INF/services/" + service.getName() + "), or look them up through a class loader that sees one";
    }

    private static String describe(Object provider) {
        Class<?> type = provider.getClass();
        CodeSource source = type.getProtectionDomain().getCodeSource();
        URL location = source == null ? null : source.getLocation();
        return type.getName() + (location == null ? "" : " (from " + location + ")");
    }
}
