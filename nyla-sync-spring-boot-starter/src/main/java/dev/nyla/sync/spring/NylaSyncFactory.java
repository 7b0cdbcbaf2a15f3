package dev.nyla.sync.spring;

import dev.nyla.sync.artifact.ArtifactSource;
import dev.nyla.sync.client.NylaSync;
import dev.nyla.sync.client.SyncListener;
import dev.nyla.sync.embed.Embedder;
import dev.nyla.sync.store.VectorStore;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.springframework.core.io.ResourceLoader;

/**
 * Builds the auto-configured {@link NylaSync} from the {@code nyla.sync.*} properties and the context's beans,
 * and reports what is wrong in one {@link NylaSyncConfigurationException}: the builder's own validation (which
 * names every missing or bad option at once), the keys that could not be read, and contradicting properties,
 * each with the property that sets it.
 */
final class NylaSyncFactory {
    /**
     * The builder's name for each option it names in its messages, and the property or bean that sets it here:
     * the builder knows what is wrong, this knows where the user said it.
     */
    private static final Map<String, String> PROPERTY_OF_OPTION = new LinkedHashMap<>();

    static {
        PROPERTY_OF_OPTION.put("source(...)", "nyla.sync.source: an http(s) URL, a directory or classpath:<directory>; "
                + "or an ArtifactSource bean");
        PROPERTY_OF_OPTION.put("store(...)", "nyla.sync.store: a location such as file:/var/lib/app/vectors or "
                + "lucene:/var/lib/app/vectors; or a VectorStore bean");
        PROPERTY_OF_OPTION.put("publicKey(...)", "nyla.sync.public-key: the publisher's .pub file, a classpath: "
                + "resource, or the PEM text");
        PROPERTY_OF_OPTION.put("queryEmbedder(...)", "an Embedder bean (nyla-sync-embedder-djl on the class path "
                + "makes one), or nyla.sync.accept-any-model=true for an application that never embeds queries");
        PROPERTY_OF_OPTION.put("acceptAnyModel()", "nyla.sync.accept-any-model: false when the application has an "
                + "Embedder bean");
        PROPERTY_OF_OPTION.put("keyThreshold:", "nyla.sync.key-threshold: at most the number of nyla.sync.public-key entries");
        PROPERTY_OF_OPTION.put("pinnedKeysVersion:", "nyla.sync.pinned-keys-version: 0 or more");
        PROPERTY_OF_OPTION.put("keepGenerations:", "nyla.sync.keep-generations: 1 or more");
        PROPERTY_OF_OPTION.put("checkInterval:", "nyla.sync.interval: at least 1s");
        PROPERTY_OF_OPTION.put("jitter:", "nyla.sync.jitter: a fraction 0..1");
        PROPERTY_OF_OPTION.put("failureBackoff:", "nyla.sync.failure-backoff: a positive duration");
    }

    private final NylaSyncProperties properties;
    private final ResourceLoader resources;

    NylaSyncFactory(NylaSyncProperties properties, ResourceLoader resources) {
        this.properties = properties;
        this.resources = resources;
    }

    /**
     * @param source      the context's artifact source, if any
     * @param store       the context's vector store, if any
     * @param embedder    the context's query embedder, if exactly one
     * @param clock       the context's clock, if exactly one
     * @param listeners   the context's listeners, in order
     * @param customizers the context's customizers, in order
     * @throws NylaSyncConfigurationException naming every problem and the property of each
     * @throws IOException                    when the client's state directory cannot be read or created
     */
    NylaSync create(Optional<ArtifactSource> source, Optional<VectorStore> store, Optional<Embedder> embedder,
                    Optional<Clock> clock, List<SyncListener> listeners, List<NylaSyncBuilderCustomizer> customizers)
            throws IOException {
        List<String> problems = new ArrayList<>();
        Set<String> toChange = new LinkedHashSet<>();
        NylaSync.Builder b = NylaSync.builder();
        source.ifPresent(b::source);
        store.ifPresent(b::store);
        List<String> keys = properties.getPublicKey();
        for (int i = 0; i < keys.size(); i++) {
            String origin = "nyla.sync.public-key[" + i + "]";
            try {
                b.publicKey(PinnedKeys.read(keys.get(i), origin, resources));
            } catch (IOException | InvalidPathException e) {
                problems.add(origin + ": " + reason(e));
                toChange.add(PROPERTY_OF_OPTION.get("publicKey(...)"));
            }
        }
        embedder.ifPresent(b::queryEmbedder);
        if (properties.isAcceptAnyModel()) {
            b.acceptAnyModel();
        }
        clock.ifPresent(b::clock);
        if (listeners.size() == 1) {
            b.listener(listeners.getFirst());
        } else if (!listeners.isEmpty()) {
            b.listener(SyncListener.all(listeners.toArray(SyncListener[]::new)));
        }
        setOptions(b, problems, toChange);
        customizers.forEach(c -> c.customize(b));

        NylaSync sync;
        try {
            sync = b.build();
        } catch (IllegalStateException e) {
            problems.add(e.getMessage());
            PROPERTY_OF_OPTION.forEach((option, property) -> {
                if (e.getMessage().contains(option)) {
                    toChange.add(property);
                }
            });
            throw failure(problems, toChange);
        }
        if (!problems.isEmpty()) {
            sync.close();
            throw failure(problems, toChange);
        }
        return sync;
    }

    /** The options set straight from properties: only those set, so the others stay the client's defaults. */
    private void setOptions(NylaSync.Builder b, List<String> problems, Set<String> toChange) {
        NylaSyncProperties p = properties;
        if (p.getKeyThreshold() != null) {
            b.keyThreshold(p.getKeyThreshold());
        }
        if (p.getPinnedKeysVersion() != null) {
            b.pinnedKeysVersion(p.getPinnedKeysVersion());
        }
        if (p.getStateDirectory() != null) {
            b.stateDirectory(p.getStateDirectory());
        }
        if (p.getClientId() != null) {
            b.clientId(p.getClientId());
        }
        if (p.getInterval() != null) {
            b.checkInterval(p.getInterval());
        }
        if (p.getJitter() != null) {
            b.jitter(p.getJitter());
        }
        if (p.getFailureBackoff() != null) {
            b.failureBackoff(p.getFailureBackoff());
        }
        if (p.getKeepGenerations() != null) {
            b.keepGenerations(p.getKeepGenerations());
        }
        if (p.getBaseline() != null) {
            if (ArtifactSources.isHttp(p.getBaseline())) {
                problems.add("nyla.sync.baseline: expected an artifact bundled with the application "
                        + "(classpath:<directory> or a directory) but was the URL '" + p.getBaseline() + "'");
                toChange.add("nyla.sync.baseline: classpath:<directory> or a directory");
            } else {
                try {
                    b.baseline(ArtifactSources.open(p.getBaseline(), "nyla.sync.baseline", Map.of(),
                            NylaSyncAutoConfiguration.classLoader(resources)));
                } catch (NylaSyncConfigurationException e) {
                    problems.add(e.getMessage());
                    toChange.addAll(e.properties());
                }
            }
        }
        if (p.getInitialCheck() == NylaSyncProperties.InitialCheck.BACKGROUND && !p.isBackgroundChecks()) {
            problems.add("nyla.sync.initial-check=background runs the first check on the background schedule, "
                    + "which nyla.sync.background-checks=false turns off");
            toChange.add("nyla.sync.initial-check: blocking or none when nyla.sync.background-checks is false");
        }
        if (p.isRequireInstalled() && p.getInitialCheck() != NylaSyncProperties.InitialCheck.BLOCKING) {
            problems.add("nyla.sync.require-installed=true needs the start-up check to finish before the application "
                    + "is up, which nyla.sync.initial-check=" + p.getInitialCheck().name().toLowerCase(Locale.ROOT)
                    + " does not wait for");
            toChange.add("nyla.sync.initial-check: blocking, or nyla.sync.require-installed: false");
        }
    }

    private static String reason(Exception e) {
        if (e instanceof NoSuchFileException || e instanceof FileNotFoundException) {
            return "no such file or resource: " + e.getMessage();
        }
        return e.getMessage();
    }

    private static NylaSyncConfigurationException failure(List<String> problems, Set<String> toChange) {
        return new NylaSyncConfigurationException(String.join("; ", problems), List.copyOf(toChange));
    }
}
