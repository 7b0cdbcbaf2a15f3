package dev.nyla.sync.artifact;

import dev.nyla.sync.IntegrityException;
import dev.nyla.sync.UnsafeFileNameException;
import dev.nyla.sync.internal.BoundedInputStream;
import dev.nyla.sync.internal.FileNames;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;

/**
 * An {@link ArtifactSource} on a directory of class path resources: a baseline artifact bundled in the
 * application jar, so that the first start works offline. The directory is laid out as a publisher writes
 * it ({@code manifest.json}, {@code manifest.json.sig} and the payload files side by side). As with
 * {@link DirectoryArtifactSource}, the manifest's ETag is its SHA-256, so conditional fetches work as they
 * do over HTTP.
 *
 * <pre>{@code
 * ArtifactSource baseline = new ClasspathArtifactSource(App.class.getClassLoader(), "nyla/baseline");
 * }</pre>
 */
public final class ClasspathArtifactSource implements ArtifactSource {
    private final ClassLoader loader;
    private final String directory;

    /**
     * A source on the resources under {@code resourceDirectory} of {@code loader}.
     *
     * @param resourceDirectory a resource path such as {@code nyla/baseline}; leading and trailing slashes
     *                          are ignored, and each segment must be a plain name (see {@link FileNames})
     * @throws IllegalArgumentException when the directory is empty or has an unsafe segment
     */
    public ClasspathArtifactSource(ClassLoader loader, String resourceDirectory) {
        this.loader = Objects.requireNonNull(loader, "loader");
        this.directory = normalize(Objects.requireNonNull(resourceDirectory, "resourceDirectory"));
    }

    private static String normalize(String dir) {
        int start = 0;
        int end = dir.length();
        while (start < end && dir.charAt(start) == '/') {
            start++;
        }
        while (end > start && dir.charAt(end - 1) == '/') {
            end--;
        }
        String trimmed = dir.substring(start, end);
        if (trimmed.isEmpty()) {
            throw new IllegalArgumentException("resourceDirectory: expected a directory such as nyla/baseline"
                    + " but was '" + dir + "'");
        }
        for (String segment : trimmed.split("/", -1)) {
            if (!FileNames.isSafe(segment)) {
                throw new IllegalArgumentException("resourceDirectory: expected segments that are plain names"
                        + " (letters, digits, '.', '_', '-', no leading dot, no empty segment) but was '" + dir + "'");
            }
        }
        return trimmed;
    }

    /** {@code classpath:} followed by the resource directory, such as {@code classpath:nyla/baseline}. */
    @Override
    public String describe() {
        return "classpath:" + directory;
    }

    /**
     * {@inheritDoc}
     *
     * <p>The ETag is the quoted lowercase hex SHA-256 of the manifest bytes.
     */
    @Override
    public ManifestResponse fetchManifest(ManifestRequest request) throws IOException {
        return LocalManifests.fetch(request, this::readCapped);
    }

    /**
     * {@inheritDoc}
     *
     * <p>An {@code offset} equal to the file's size gives an empty stream.
     *
     * @throws UnsafeFileNameException when {@code fileName} is not a plain file name
     * @throws IntegrityException      when the file is shorter than {@code offset}
     */
    @Override
    public InputStream open(String fileName, long offset) throws IOException {
        FileNames.requireSafe(fileName, describe() + ": requested file");
        if (offset < 0) {
            throw new IllegalArgumentException("offset: expected >= 0 but was " + offset);
        }
        InputStream in = openResource(fileName);
        try {
            skipExactly(in, offset, fileName);
        } catch (IOException | RuntimeException e) {
            in.close();
            throw e;
        }
        return in;
    }

    private void skipExactly(InputStream in, long offset, String fileName) throws IOException {
        if (offset == 0) {
            return;
        }
        // skip() may stop short of the end, and a file-backed resource may even skip past its end without
        // saying so. So skip to one byte before the offset (settling a short skip with read()), then read
        // the last byte: only a file that really has offset bytes yields it.
        long skipped = 0;
        while (skipped < offset - 1) {
            long n = in.skip(offset - 1 - skipped);
            if (n > 0) {
                skipped += n;
            } else if (in.read() >= 0) {
                skipped++;
            } else {
                break;
            }
        }
        if (skipped != offset - 1 || in.read() < 0) {
            throw new IntegrityException(resourceName(fileName), "size",
                    "at least " + offset + " bytes (the requested offset)", "fewer");
        }
    }

    private InputStream openResource(String fileName) throws FileNotFoundException {
        InputStream in = loader.getResourceAsStream(directory + "/" + fileName);
        if (in == null) {
            throw new FileNotFoundException(resourceName(fileName) + ": no such resource on the class path");
        }
        return in;
    }

    private String resourceName(String fileName) {
        return describe(fileName);
    }

    private byte[] readCapped(String name, long max) throws IOException {
        InputStream resource = loader.getResourceAsStream(directory + "/" + name);
        if (resource == null) {
            throw new FileNotFoundException(resourceName(name)
                    + ": no such resource on the class path (is the baseline artifact bundled with the application?)");
        }
        return BoundedInputStream.readAll(resource, max, resourceName(name));
    }
}
