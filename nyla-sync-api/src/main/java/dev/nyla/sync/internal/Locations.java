package dev.nyla.sync.internal;

import java.util.regex.Pattern;

/**
 * Locations (store locations, JDBC URLs) as messages and logs show them: a password, as a parameter
 * ({@code ?user=app&password=secret}, {@code ;password=secret}) or in the authority
 * ({@code //app:secret@db}), is replaced by {@code ***}. Everything else stays, so the message still names
 * the place.
 */
public final class Locations {
    /** A password parameter, up to the next parameter separator. */
    private static final Pattern SECRET = Pattern.compile("(?i)(password=)[^&;]*");
    /** A password in the URL's authority: {@code //user:secret@host}. */
    private static final Pattern USER_INFO = Pattern.compile("(//[^/@:?#]*:)[^/@?#]*@");

    private Locations() {
    }

    /** {@code location} with any password replaced by {@code ***}. */
    public static String redact(String location) {
        return USER_INFO.matcher(SECRET.matcher(location).replaceAll("$1***")).replaceAll("$1***@");
    }
}
