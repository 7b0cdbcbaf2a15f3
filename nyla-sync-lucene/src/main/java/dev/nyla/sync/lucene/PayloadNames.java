package dev.nyla.sync.lucene;

import dev.nyla.sync.ContentHash;
import dev.nyla.sync.artifact.PayloadFile;
import dev.nyla.sync.artifact.UnsafeFileNameException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Names of a Lucene payload's files on a host: {@code lucene-<sha256>-<index file name>}. Content-addressed,
 * so hosts cache them forever, and carrying the index file's own name, which Lucene needs back.
 */
final class PayloadNames {
    static final String PREFIX = "lucene-";
    /** Lucene's file names: segment files, {@code segments_N}; never a lock file. */
    private static final Pattern HOST_NAME = Pattern.compile("lucene-([0-9a-f]{64})-([A-Za-z0-9_][A-Za-z0-9_.]{0,120})");

    private PayloadNames() {
    }

    static String hostName(String sha256, String indexFileName) {
        return PREFIX + sha256 + "-" + indexFileName;
    }

    /**
     * The index file name a payload file installs as.
     *
     * @throws UnsafeFileNameException when the name does not have the form, names a lock file, or carries a
     *                                 hash other than the file's
     */
    static String indexFileName(PayloadFile file, String where) throws UnsafeFileNameException {
        Matcher m = HOST_NAME.matcher(file.name());
        if (!m.matches() || m.group(2).equals("write.lock")) {
            throw new UnsafeFileNameException(where, "Lucene payload file name",
                    "lucene-<sha256>-<index file name>", "'" + file.name() + "'");
        }
        if (!m.group(1).equals(file.sha256()) || !ContentHash.isWellFormed(m.group(1))) {
            throw new UnsafeFileNameException(where, "hash in the name of " + file.name(), file.sha256(), m.group(1));
        }
        return m.group(2);
    }
}
