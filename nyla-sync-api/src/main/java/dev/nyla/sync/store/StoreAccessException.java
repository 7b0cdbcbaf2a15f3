package dev.nyla.sync.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;

/**
 * The operating system refused access to a store's files or database (permissions, a read-only file
 * system). The message names the store, the path, its owner and permissions where they can be read, the
 * user this process runs as, and what to do: run as the user that owns the store, ask for read access
 * (enough for reading commands, which open the store {@linkplain VectorStores#openReadOnly read-only}), or
 * for write access (needed to install, roll back or repair).
 */
public class StoreAccessException extends StoreException {
    private static final long serialVersionUID = 1L;

    public StoreAccessException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * Access to {@code path} of the store at {@code location} was refused while opening it for writing
     * ({@code forWriting}) or for reading.
     */
    public static StoreAccessException of(String location, Path path, boolean forWriting, IOException cause) {
        String reason = cause instanceof java.nio.file.AccessDeniedException ? "permission denied"
                : cause instanceof java.nio.file.FileSystemException f && f.getReason() != null ? f.getReason()
                : cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        String user = System.getProperty("user.name", "?");
        String advice = forWriting
                ? "writing a store (sync, rollback, reconcile) needs write access: run as the user that owns it, or "
                        + "ask for write access; status, verify and search need only read access"
                : "run as the user that owns it, or ask for read access to the store's files";
        return new StoreAccessException(String.format(Locale.ROOT, "%s: cannot open the store for %s: %s on %s (%s); "
                + "this process runs as %s; %s", location, forWriting ? "writing" : "reading", reason, path,
                describe(path), user, advice), cause);
    }

    /** Owner and permissions of {@code path}, or of its nearest existing parent, as far as they can be read. */
    private static String describe(Path path) {
        Path p = path.toAbsolutePath();
        while (p != null && !Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            p = p.getParent();
        }
        if (p == null) {
            return "does not exist";
        }
        StringBuilder sb = new StringBuilder(p.equals(path.toAbsolutePath()) ? "" : "missing; " + p + " ");
        try {
            sb.append("owned by ").append(Files.getOwner(p).getName());
        } catch (IOException | UnsupportedOperationException e) {
            sb.append("owner unknown");
        }
        try {
            sb.append(", ").append(PosixFilePermissions.toString(Files.getPosixFilePermissions(p)));
        } catch (IOException | UnsupportedOperationException e) {
            // Not a POSIX file system: the owner says enough.
        }
        return sb.toString();
    }
}
