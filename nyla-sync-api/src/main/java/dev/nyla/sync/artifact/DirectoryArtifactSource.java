package dev.nyla.sync.artifact;

import dev.nyla.sync.internal.BoundedInputStream;
import dev.nyla.sync.internal.FileNames;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * An {@link ArtifactSource} on a local directory, laid out as a publisher writes it: {@code manifest.json},
 * {@code manifest.json.sig} and the payload files side by side. The manifest's ETag is its SHA-256, so
 * conditional fetches work as they do over HTTP.
 */
public final class DirectoryArtifactSource implements ArtifactSource {
    private final Path root;

    /** A source on {@code directory}. */
    public DirectoryArtifactSource(Path directory) {
        this.root = directory.toAbsolutePath().normalize();
    }

    @Override
    public String describe() {
        return root.toString();
    }

    @Override
    public ManifestResponse fetchManifest(ManifestRequest request) throws IOException {
        return LocalManifests.fetch(request, this::readCapped);
    }

    @Override
    public InputStream open(String fileName, long offset) throws IOException {
        Path file = FileNames.resolve(root, fileName, root + ": requested file");
        if (Files.isSymbolicLink(file) || !Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new FileNotFoundException(file + ": no such regular file in the artifact directory");
        }
        // NOFOLLOW_LINKS again at open: the check above and the open are not atomic.
        SeekableByteChannel ch;
        try {
            ch = Files.newByteChannel(file, java.util.Set.of(java.nio.file.StandardOpenOption.READ,
                    LinkOption.NOFOLLOW_LINKS));
        } catch (NoSuchFileException e) {
            // Removed since the check (pruned): the SPI's "no such file", as for a file that was never there.
            throw new FileNotFoundException(file + ": no such regular file in the artifact directory");
        }
        try {
            ch.position(offset);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        return Channels.newInputStream(ch);
    }

    private byte[] readCapped(String name, long max) throws IOException {
        Path file = root.resolve(name);
        try {
            return BoundedInputStream.readAll(Files.newInputStream(file), max, file.toString());
        } catch (NoSuchFileException e) {
            throw new FileNotFoundException(file + ": not found (is this an artifact directory?)");
        }
    }
}
