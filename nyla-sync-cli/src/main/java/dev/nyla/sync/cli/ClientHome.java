package dev.nyla.sync.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nyla.sync.NylaSyncException;
import dev.nyla.sync.artifact.ArtifactSource;
import dev.nyla.sync.artifact.DirectoryArtifactSource;
import dev.nyla.sync.artifact.HttpArtifactSource;
import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.client.NylaSync;
import dev.nyla.sync.internal.DurableFiles;
import dev.nyla.sync.store.VectorStore;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;

/**
 * Where the command line keeps a store's sync client state, and what {@code sync} remembers there for the
 * commands that take only {@code --store} ({@code status}, {@code rollback}, {@code verify}): the source and a
 * copy of the pinned public key.
 *
 * <p>A store with a directory keeps its state inside it ({@code <dir>/sync}, as {@link NylaSync} does by
 * default), so the state moves and is deleted with the store. Other stores (JDBC, memory) keep it under
 * {@code $NYLA_SYNC_HOME/state/<name>} ({@code ~/.nyla-sync} by default), named after the store's location
 * without its password, unless {@code --state-dir} names a directory.
 */
record ClientHome(Path directory) {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SETTINGS = "cli-client.json";
    private static final String KEY = "trusted.pub";

    /** What {@code sync} remembered: where artifacts come from, and the key they must be signed with. */
    record Remembered(String source, PublicKey key) {
    }

    static ClientHome of(VectorStore store, Optional<Path> explicit) {
        if (explicit.isPresent()) {
            return new ClientHome(explicit.get().toAbsolutePath());
        }
        if (store.directory().isPresent()) {
            return new ClientHome(store.directory().get().resolve("sync"));
        }
        String location = store.location();
        if (location.startsWith("jdbc:sqlite:") && !location.startsWith("jdbc:sqlite::")) {
            // One database file, one state directory, however its path was typed.
            String file = location.substring("jdbc:sqlite:".length()).replaceFirst("\\?.*$", "");
            location = "jdbc:sqlite:" + Path.of(file).toAbsolutePath().normalize();
        }
        return new ClientHome(home().resolve("state").resolve(name(location)));
    }

    static Path home() {
        String env = System.getenv("NYLA_SYNC_HOME");
        return env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".nyla-sync");
    }

    /** A readable, collision-free directory name for a store location. */
    static String name(String location) {
        String slug = location.replaceAll("\\?.*$", "").replaceAll("[^A-Za-z0-9._-]+", "_").replaceAll("^_+|_+$", "");
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(location.getBytes(StandardCharsets.UTF_8));
            return Format.abbreviate(slug, 60).replace("…", "") + "-" + HexFormat.of().formatHex(h, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** An artifact source for {@code --source}: an http(s) URL, or a directory (a path or a file: URL). */
    static ArtifactSource source(String where) throws NylaSyncException {
        return source(where, true);
    }

    private static ArtifactSource source(String where, boolean mustExist) throws NylaSyncException {
        String lower = where.toLowerCase(Locale.ROOT);
        if (lower.startsWith("http://") || lower.startsWith("https://")) {
            String base = where.endsWith("/") ? where : where + "/";
            return HttpArtifactSource.builder(URI.create(base)).build();
        }
        Path dir = lower.startsWith("file://") ? Path.of(URI.create(where))
                : lower.startsWith("file:") ? Path.of(where.substring("file:".length())) : Path.of(where);
        if (mustExist && !Files.isDirectory(dir)) {
            throw new NylaSyncException("source '" + where + "': expected an http(s):// URL or a directory, but "
                    + dir.toAbsolutePath() + (Files.exists(dir) ? " is not a directory" : " does not exist"));
        }
        return new DirectoryArtifactSource(dir);
    }

    /** Remembers the source and a copy of the key file for later commands. */
    void remember(String source, Path publicKeyFile) throws IOException {
        Files.createDirectories(directory);
        Path key = directory.resolve(KEY);
        DurableFiles.writeAtomically(key, Files.readAllBytes(publicKeyFile));
        ObjectNode n = JSON.createObjectNode();
        // A directory is remembered absolute: later commands may run from anywhere.
        boolean url = source.toLowerCase(Locale.ROOT).matches("^(https?|file):.*");
        n.put("source", url ? source : Path.of(source).toAbsolutePath().normalize().toString());
        n.put("keyId", SigningKeys.keyId(SigningKeys.readPublicKey(key)));
        DurableFiles.writeAtomically(directory.resolve(SETTINGS), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(n));
    }

    /** What {@code sync} remembered, if it ran for this store. */
    Optional<Remembered> remembered() throws IOException {
        Path settings = directory.resolve(SETTINGS);
        if (!Files.isRegularFile(settings)) {
            return Optional.empty();
        }
        JsonNode n;
        try {
            n = JSON.readTree(settings.toFile());
        } catch (IOException e) {
            throw new NylaSyncException(settings + ": unreadable (" + e.getMessage().lines().findFirst().orElse("")
                    + "); run sync again to rewrite it");
        }
        String source = n.path("source").asText("");
        if (source.isEmpty()) {
            throw new NylaSyncException(settings + ": expected a \"source\" but there is none; run sync again to rewrite it");
        }
        return Optional.of(new Remembered(source, SigningKeys.readPublicKey(directory.resolve(KEY))));
    }

    /**
     * A sync client on what {@code sync} remembered, for {@code rollback}: it accepts any model, as it installs
     * nothing new without a check, and does not need the source to be there. Commands that only look read the
     * saved state instead ({@link NylaSync#savedStatus}): a client writes its state.
     */
    Optional<NylaSync> rememberedClient(VectorStore store) throws IOException {
        Optional<Remembered> r = remembered();
        if (r.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(NylaSync.builder().source(source(r.get().source(), false)).store(store).publicKey(r.get().key())
                .acceptAnyModel().stateDirectory(directory).build());
    }
}
