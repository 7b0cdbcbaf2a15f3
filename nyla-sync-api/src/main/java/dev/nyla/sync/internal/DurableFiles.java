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
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
             OutputStream out = java.nio.channels.Channels.newOutputStream(ch)) {
            out.write(content);
            out.flush();
            ch.force(true);
        }
        moveAtomically(tmp, target);
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
