package dev.nyla.sync.lucene;

import dev.nyla.sync.IntegrityException;
import dev.nyla.sync.store.Payload;
import dev.nyla.sync.store.PayloadFile;
import dev.nyla.sync.UnsafeFileNameException;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
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

    /**
     * The index file name of every payload file, by payload file name in payload order.
     *
     * @throws UnsafeFileNameException as {@link #indexFileName}
     * @throws IntegrityException      when two payload files install as the same index file
     */
    static Map<String, String> indexFileNames(Payload payload, String where) throws IOException {
        Map<String, String> names = new LinkedHashMap<>();
        for (PayloadFile f : payload.files()) {
            String name = indexFileName(f, where);
            if (names.containsValue(name)) {
                throw new IntegrityException(where, "index file " + name, "named once in the payload", "twice");
            }
            names.put(f.name(), name);
        }
        return names;
    }

    /** The index file name to the SHA-256 the payload wants for it. */
    static Map<String, String> wantedSha256(Payload payload, Map<String, String> indexNames) {
        Map<String, String> wanted = new TreeMap<>();
        payload.files().forEach(f -> wanted.put(indexNames.get(f.name()), f.sha256()));
        return wanted;
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
        if (!m.group(1).equals(file.sha256())) {
            throw new UnsafeFileNameException(where, "hash in the name of " + file.name(), file.sha256(), m.group(1));
        }
        return m.group(2);
    }
}
