package dev.nyla.sync.internal;

import dev.nyla.sync.UnsafeFileNameException;
import java.nio.file.Path;

/**
 * Confines file names taken from manifests to their directory.
 *
 * <p>A manifest is untrusted input until its signature is checked, and a signed manifest from a
 * compromised build must still not write outside the store. So a name is accepted only when it is a
 * single plain path element: ASCII letters, digits, {@code . _ -}, 1..200 characters, not starting with
 * a dot (which also rules out {@code .} and {@code ..}).
 */
public final class FileNames {
    /** Longest accepted file name. */
    public static final int MAX_LENGTH = 200;

    private FileNames() {
    }

    /**
     * Returns {@code name} when it is a safe file name.
     *
     * @param where what the name came from, for the message (e.g. {@code "manifest.json: payload.files[0].name"})
     * @throws UnsafeFileNameException naming where the name came from and why it was refused
     */
    public static String requireSafe(String name, String where) throws UnsafeFileNameException {
        String why = problem(name);
        if (why != null) {
            throw new UnsafeFileNameException(where, "file name", "a plain file name (" + why + ")",
                    "'" + name + "'");
        }
        return name;
    }

    /** Whether {@code name} is a safe file name. */
    public static boolean isSafe(String name) {
        return problem(name) == null;
    }

    /**
     * Resolves a safe {@code name} inside {@code directory} and checks that the result is still inside it.
     */
    public static Path resolve(Path directory, String name, String where) throws UnsafeFileNameException {
        requireSafe(name, where);
        Path dir = directory.toAbsolutePath().normalize();
        Path resolved = dir.resolve(name).normalize();
        if (!resolved.getParent().equals(dir)) {
            throw new UnsafeFileNameException(where, "resolved path", "a file directly in " + dir, resolved);
        }
        return resolved;
    }

    private static String problem(String name) {
        if (name == null || name.isEmpty()) {
            return "it is empty";
        }
        if (name.length() > MAX_LENGTH) {
            return "at most " + MAX_LENGTH + " characters";
        }
        if (name.charAt(0) == '.') {
            return "no leading dot, no '..'";
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_'
                    || c == '-';
            if (!ok) {
                return c == '/' || c == '\\' ? "no path separators" : "only letters, digits, '.', '_' and '-'";
            }
        }
        return null;
    }
}
