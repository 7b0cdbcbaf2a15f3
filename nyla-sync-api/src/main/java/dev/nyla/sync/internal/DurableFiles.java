package dev.nyla.sync.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;

/**
 * Crash-safe file operations for stores and the sync client that keep state in local files.
 *
 * <p>The pattern is always the same: write the new content under a temporary name, force it to the disk,
 * rename it over the old name in one atomic step, and force the directory so the rename itself survives a
 * power cut. A process killed at any instant leaves either the old or the new file, never a torn one.
 */
public final class DurableFiles {
    private DurableFiles() {
    }

    /** Replaces {@code target} with {@code content} atomically and durably. */
    public static void writeAtomically(Path target, byte[] content) throws IOException {
        Path tmp = writeTemporary(target, content);
        moveAtomically(tmp, target);
    }

    /**
     * Replaces several files of {@code directory} atomically and durably, with one force of the directory
     * for all of them: each is written and forced under a temporary name, then they are renamed in the
     * map's order. A crash leaves each file old or new, and a killed process the earlier ones renamed first.
     */
    public static void writeAtomically(Path directory, SequencedMap<String, byte[]> contentByName)
            throws IOException {
        List<Path> written = new ArrayList<>();
        for (Map.Entry<String, byte[]> e : contentByName.entrySet()) {
            written.add(writeTemporary(directory.resolve(e.getKey()), e.getValue()));
        }
        int i = 0;
        for (String name : contentByName.keySet()) {
            Files.move(written.get(i++), directory.resolve(name), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        }
        fsyncDirectory(directory.toAbsolutePath());
    }

    /** Writes and forces {@code content} as {@code <target>.tmp}; returns that file. */
    private static Path writeTemporary(Path target, byte[] content) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        writeAndForce(tmp, content);
        return tmp;
    }

    /**
     * Writes {@code file} (replacing it) and forces its content, under its own name: for a file in a
     * directory that nothing reads until the directory is renamed into place, which needs no temporary
     * name. The directory's entry is the caller's to force.
     */
    public static void writeAndForce(Path file, byte[] content) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
             OutputStream out = java.nio.channels.Channels.newOutputStream(ch)) {
            out.write(content);
            out.flush();
            ch.force(true);
        }
    }

    /**
     * Renames {@code source} to {@code target} atomically, replacing a file (not a non-empty directory) at
     * {@code target}, then forces the target's directory.
     */
    public static void moveAtomically(Path source, Path target) throws IOException {
        Files.move(source, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        fsyncDirectory(target.toAbsolutePath().getParent());
    }

    /** Forces a file's content and metadata to the disk. */
    public static void fsync(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }

    /**
     * Forces a directory's entries (creations, renames, deletions) to the disk. Where the platform cannot
     * open a directory for that (Windows), the rename is as durable as the file system makes it anyway.
     */
    public static void fsyncDirectory(Path directory) throws IOException {
        try (FileChannel ch = FileChannel.open(directory, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (java.nio.file.AccessDeniedException e) {
            if (!System.getProperty("os.name", "").startsWith("Windows")) {
                throw e;
            }
        }
    }

    /** Deletes a file or a directory tree; missing is fine. Symbolic links are deleted, not followed. */
    public static void deleteRecursively(Path path) throws IOException {
        if (!Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(path, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException failure) throws IOException {
                if (failure != null && !(failure instanceof NoSuchFileException)) {
                    throw failure;
                }
                try {
                    Files.deleteIfExists(dir);
                } catch (DirectoryNotEmptyException e) {
                    throw new IOException(dir + ": could not be emptied (is another process writing to it?)", e);
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** The total size of the regular files under {@code path}. */
    public static long sizeOf(Path path) throws IOException {
        long[] total = {0};
        // A file or directory that vanishes during the walk (a writer in another process deleting a
        // generation) is simply not counted.
        Files.walkFileTree(path, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                if (attrs.isRegularFile()) {
                    total[0] += attrs.size();
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw e;
            }
        });
        return total[0];
    }
}
