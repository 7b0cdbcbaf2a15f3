package dev.nyla.sync.spring;

import dev.nyla.sync.artifact.ArtifactSource;
import dev.nyla.sync.artifact.ClasspathArtifactSource;
import dev.nyla.sync.artifact.DirectoryArtifactSource;
import dev.nyla.sync.artifact.HttpArtifactSource;
import java.net.URI;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * Turns the text of {@code nyla.sync.source} or {@code nyla.sync.baseline} into an {@link ArtifactSource}:
 * {@code http://} and {@code https://} URLs into an {@link HttpArtifactSource}, {@code classpath:<dir>} into a
 * {@link ClasspathArtifactSource}, anything else (a path, or a {@code file:} URI) into a
 * {@link DirectoryArtifactSource}.
 */
final class ArtifactSources {
    static final String CLASSPATH = "classpath:";

    private ArtifactSources() {
    }

    /** Whether {@code location} names an HTTP host rather than something bundled or local. */
    static boolean isHttp(String location) {
        String lower = location.toLowerCase(Locale.ROOT);
        return lower.startsWith("http://") || lower.startsWith("https://");
    }

    /**
     * @param property the property {@code location} came from, for messages
     * @throws NylaSyncConfigurationException naming the property when the location is not one of the three kinds
     */
    static ArtifactSource open(String location, String property, Map<String, String> headers, ClassLoader loader) {
        String where = location.strip();
        try {
            if (isHttp(where)) {
                HttpArtifactSource.Builder b = HttpArtifactSource.builder(URI.create(where));
                headers.forEach(b::header);
                return b.build();
            }
            if (!headers.isEmpty()) {
                throw new IllegalArgumentException("nyla.sync.http.headers are for an http(s) source only; remove them");
            }
            if (where.startsWith(CLASSPATH)) {
                return new ClasspathArtifactSource(loader, where.substring(CLASSPATH.length()));
            }
            if (where.isEmpty()) {
                throw new IllegalArgumentException("expected an http(s) URL, a directory or classpath:<directory> but was empty");
            }
            return new DirectoryArtifactSource(where.startsWith("file:") ? Path.of(URI.create(where)) : Path.of(where));
        } catch (IllegalArgumentException e) {
            throw new NylaSyncConfigurationException(property + ": cannot use '" + where + "' as an artifact source: "
                    + e.getMessage(), property);
        }
    }
}
