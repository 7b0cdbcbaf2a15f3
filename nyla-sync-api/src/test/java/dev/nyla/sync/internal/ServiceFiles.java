package dev.nyla.sync.internal;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;

/** Class loaders whose class path adds a {@code META-INF/services} file, for lookups tests control. */
public final class ServiceFiles {
    private ServiceFiles() {
    }

    /**
     * A loader over the test class path that also finds {@code providers} registered for {@code service}, from a
     * services file written under {@code dir}.
     */
    public static URLClassLoader listing(Path dir, Class<?> service, Class<?>... providers) throws IOException {
        Path file = dir.resolve("META-INF/services/" + service.getName());
        Files.createDirectories(file.getParent());
        Files.writeString(file, Arrays.stream(providers).map(Class::getName).collect(Collectors.joining("\n")) + "\n");
        return new URLClassLoader(new URL[] {dir.toUri().toURL()}, ServiceFiles.class.getClassLoader());
    }
}
