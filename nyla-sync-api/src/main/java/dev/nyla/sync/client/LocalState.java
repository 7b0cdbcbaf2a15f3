package dev.nyla.sync.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nyla.sync.NylaSyncException;
import dev.nyla.sync.internal.DurableFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * What the sync client remembers across restarts: the trusted version, the manifest's ETag, the client id,
 * the last check and a bounded history. Kept in {@code sync-state.json}, replaced atomically; without a
 * directory it lives in memory only. Not thread-safe: the state machine holds its lock while using it.
 */
final class LocalState {
    static final String FILE_NAME = "sync-state.json";
    private static final int HISTORY_LIMIT = 100;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    String clientId;
    long trustedVersion;
    String etag = "";
    String manifestSha256 = "";
    Instant lastCheck;
    SyncResult.Outcome lastResult;
    int consecutiveFailures;
    /** Set by clearVersion: until the next install, the active generation's version is not trusted again. */
    boolean versionCleared;
    final List<SyncHistoryEntry> history = new ArrayList<>();
    /** The content of the file as last read or written: a save that would write the same bytes is skipped. */
    private byte[] onDisk = new byte[0];

    private LocalState(Path file) {
        this.file = file;
    }

    /** Reads the state in {@code directory}, or starts a fresh one (with a new client id) when there is none. */
    static LocalState load(Optional<Path> directory, String clientId) throws IOException {
        LocalState s;
        if (directory.isPresent()) {
            Files.createDirectories(directory.get());
            // None saved yet: the first start.
            s = peek(directory.get()).orElseGet(() -> new LocalState(directory.get().resolve(FILE_NAME)));
        } else {
            s = new LocalState(null);
        }
        if (!clientId.isEmpty()) {
            s.clientId = clientId;
        } else if (s.clientId == null) {
            s.clientId = UUID.randomUUID().toString();
        }
        return s;
    }

    /**
     * Reads the state saved in {@code directory} without creating or changing anything, for another process
     * that only looks; empty when there is none.
     */
    static Optional<LocalState> peek(Path directory) throws IOException {
        LocalState s = new LocalState(directory.resolve(FILE_NAME));
        try {
            s.read(Files.readAllBytes(s.file));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        // As it would be written back, so that a save of unchanged state writes nothing.
        s.onDisk = s.toJson();
        return Optional.of(s);
    }

    /**
     * The version to trust given the store's active one: a crash between activating a generation and saving
     * the state leaves the store one version ahead, and the store is right (the generation was verified
     * before it was activated), unless the version was cleared on purpose.
     */
    boolean storeIsAhead(Optional<dev.nyla.sync.store.Generation> active) {
        return active.isPresent() && active.get().version() > trustedVersion && !versionCleared;
    }

    private void read(byte[] bytes) throws IOException {
        try {
            JsonNode n = JSON.readTree(bytes);
            if (n == null || !n.isObject()) {
                throw new IllegalArgumentException("not a JSON object");
            }
            clientId = n.path("clientId").asText(null);
            trustedVersion = n.path("trustedVersion").asLong(0);
            etag = n.path("etag").asText("");
            manifestSha256 = n.path("manifestSha256").asText("");
            lastCheck = n.hasNonNull("lastCheck") ? Instant.parse(n.get("lastCheck").asText()) : null;
            lastResult = n.hasNonNull("lastResult") ? SyncResult.Outcome.valueOf(n.get("lastResult").asText()) : null;
            consecutiveFailures = n.path("consecutiveFailures").asInt(0);
            versionCleared = n.path("versionCleared").asBoolean(false);
            for (JsonNode h : n.path("history")) {
                history.add(new SyncHistoryEntry(Instant.parse(h.path("at").asText()), h.path("kind").asText(),
                        h.path("version").asLong(), h.path("detail").asText()));
            }
        } catch (IOException | RuntimeException e) {
            throw new NylaSyncException(file.toString(), "sync state", "the JSON this client writes",
                    "unreadable content (" + e.getMessage() + "); delete the file to start over (the next check "
                            + "then trusts whatever version the source serves)");
        }
    }

    /** What the client trusts: a version, with its manifest's ETag and SHA-256; {@code cleared} after clearVersion. */
    record Trust(long version, String etag, String manifestSha256, boolean cleared) {
    }

    /** The trust now, to put back with {@link #trust(Trust)} when an install that changed it rolls back. */
    Trust trusted() {
        return new Trust(trustedVersion, etag, manifestSha256, versionCleared);
    }

    void trust(Trust t) {
        trustedVersion = t.version();
        etag = t.etag();
        manifestSha256 = t.manifestSha256();
        versionCleared = t.cleared();
    }

    void record(Instant at, String kind, long version, String detail) {
        history.add(new SyncHistoryEntry(at, kind, version, detail));
        while (history.size() > HISTORY_LIMIT) {
            history.remove(0);
        }
    }

    /**
     * Writes the state durably (atomic replace + fsync) when it changed since it was read or last written;
     * a no-op without a directory. Callers save at every point where the state must survive a crash, and
     * only the saves that change something cost a write: on an install that is one (see SyncStateMachine).
     */
    void save() throws IOException {
        if (file == null) {
            return;
        }
        byte[] content = toJson();
        if (Arrays.equals(content, onDisk)) {
            return;
        }
        DurableFiles.writeAtomically(file, content);
        onDisk = content;
    }

    private byte[] toJson() throws IOException {
        ObjectNode n = JSON.createObjectNode();
        n.put("clientId", clientId);
        n.put("trustedVersion", trustedVersion);
        n.put("etag", etag);
        n.put("manifestSha256", manifestSha256);
        n.put("lastCheck", lastCheck == null ? null : lastCheck.toString());
        n.put("lastResult", lastResult == null ? null : lastResult.name());
        n.put("consecutiveFailures", consecutiveFailures);
        n.put("versionCleared", versionCleared);
        ArrayNode h = n.putArray("history");
        for (SyncHistoryEntry e : history) {
            h.addObject().put("at", e.at().toString()).put("kind", e.kind()).put("version", e.version())
                    .put("detail", e.detail());
        }
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(n);
    }
}
