package dev.nyla.sync.jdbc;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Optional;
import java.util.Properties;

/**
 * The JDBC drivers of the databases the store supports, which are the application's to bring (optional
 * dependencies of this module): a URL whose driver is missing is refused with the artifact to add, before
 * anything tries to connect ({@code DriverManager} would only say "no suitable driver").
 */
final class JdbcDrivers {
    private static final Properties DRIVERS = load();

    private JdbcDrivers() {
    }

    private static Properties load() {
        Properties p = new Properties();
        try (InputStream in = JdbcDrivers.class.getResourceAsStream("drivers.properties")) {
            if (in == null) {
                throw new IllegalStateException("drivers.properties is missing from nyla-sync-jdbc's jar");
            }
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("drivers.properties of nyla-sync-jdbc cannot be read", e);
        }
        return p;
    }

    /**
     * Why {@code url} cannot be served here: its driver's class is not on the class path. The message names the
     * URL as {@code location} shows it, the driver artifact with the version nyla-sync is tested with, and what to
     * do. Empty when the driver is there or the URL is not one of the supported databases' (the driver then
     * reports it).
     */
    static Optional<String> missing(String url, String location) {
        String rest = url.startsWith("jdbc:") ? url.substring("jdbc:".length()) : url;
        int colon = rest.indexOf(':');
        String entry = colon < 0 ? null : DRIVERS.getProperty(rest.substring(0, colon));
        if (entry == null) {
            return Optional.empty();
        }
        String[] parts = entry.trim().split("\\s+");
        String driverClass = parts[0];
        String artifact = parts[1];
        try {
            Class.forName(driverClass, false, JdbcDrivers.class.getClassLoader());
            return Optional.empty();
        } catch (ClassNotFoundException e) {
            String withoutVersion = artifact.substring(0, artifact.lastIndexOf(':'));
            return Optional.of(location + ": JDBC driver: expected " + withoutVersion + " on the class path but it is "
                    + "missing (no class " + driverClass + "); add the dependency " + artifact
                    + " (the version nyla-sync is tested with) to the application");
        }
    }
}
