package dev.nyla.sync.artifact;

import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.VectorEncoding;
import dev.nyla.sync.store.Payload;
import dev.nyla.sync.store.PayloadFile;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The small, signed, mutable description of one artifact version: which payload files make it up (with
 * sizes and sha256), which model embedded it, and how it may be installed. Clients fetch it often and
 * cheaply; everything else is immutable and content-addressed. See {@code docs/artifact-format.md}.
 *
 * @param formatVersion  the manifest format: 1, or 2 when the vectors are not float32 (see
 *                       {@link #formatVersionFor}); this library reads up to {@value #NEWEST_FORMAT_VERSION}
 * @param channel        the release channel, e.g. {@code stable}
 * @param version        increases with every publication on the channel; clients never go backwards
 * @param label          a human-readable name for the version, may be empty
 * @param createdAt      when it was published
 * @param expiresAt      after this instant clients refuse it (a frozen or replayed manifest goes stale)
 * @param model          the embedding model of every vector in the payload
 * @param vectorEncoding how the vectors of every record file named here (full payload and deltas) are
 *                       stored; clients widen them to float32
 * @param payload        the full payload, always of kind {@value Payload#RECORDS}: every client can install it
 * @param nativePayloads store-native alternatives to {@code payload} (such as a prebuilt index), at most one
 *                       per kind, none of kind {@value Payload#RECORDS}; a client whose store installs one of
 *                       these kinds may use it instead of the records, every other client ignores them
 * @param records        how many records the full payload holds
 * @param tenants        how many tenants they belong to
 * @param deltas         delta payloads from earlier versions, possibly none
 * @param rollout        the staged-rollout setting
 */
public record Manifest(int formatVersion, String channel, long version, String label, Instant createdAt,
                       Instant expiresAt, EmbeddingModel model, VectorEncoding vectorEncoding, Payload payload,
                       List<Payload> nativePayloads, long records, long tenants, List<Delta> deltas, Rollout rollout) {

    /** The newest manifest format this library reads; a higher one means "this client is too old". */
    public static final int NEWEST_FORMAT_VERSION = 2;
    /** The file name of the manifest on the host. */
    public static final String FILE_NAME = "manifest.json";
    /** The file name of the manifest's detached signature on the host. */
    public static final String SIGNATURE_FILE_NAME = "manifest.json.sig";
    /** The largest signature file ({@value #SIGNATURE_FILE_NAME}) accepted, in bytes; a larger one is refused unread. */
    public static final int MAX_SIGNATURE_BYTES = 4096;
    /** The default cap on manifest size, in bytes; a larger manifest is refused unread. */
    public static final long DEFAULT_MAX_BYTES = 4L << 20;

    public Manifest {
        Objects.requireNonNull(channel, "channel");
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(expiresAt, "expiresAt");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(vectorEncoding, "vectorEncoding");
        Objects.requireNonNull(payload, "payload");
        Objects.requireNonNull(rollout, "rollout");
        nativePayloads = List.copyOf(nativePayloads);
        deltas = List.copyOf(deltas);
        int lowest = formatVersionFor(vectorEncoding);
        if (formatVersion < lowest || formatVersion > NEWEST_FORMAT_VERSION) {
            throw new IllegalArgumentException("format version: expected "
                    + (lowest == NEWEST_FORMAT_VERSION ? "" + lowest : lowest + ".." + NEWEST_FORMAT_VERSION) + " for "
                    + vectorEncoding.wireName() + " vectors but was " + formatVersion);
        }
        if (version < 1) {
            throw new IllegalArgumentException("version: expected >= 1 but was " + version);
        }
        if (!expiresAt.isAfter(createdAt)) {
            throw new IllegalArgumentException("expiresAt " + expiresAt + " is not after createdAt " + createdAt);
        }
        if (records < 0 || tenants < 0) {
            throw new IllegalArgumentException("record and tenant counts must be >= 0");
        }
        if (!Payload.RECORDS.equals(payload.kind())) {
            throw new IllegalArgumentException("payload kind: expected '" + Payload.RECORDS
                    + "' (store-native payloads go in nativePayloads) but was '" + payload.kind() + "'");
        }
        checkNativePayloads(nativePayloads);
        checkOneFilePerName(payload, nativePayloads, deltas);
        for (Delta d : deltas) {
            if (d.fromVersion() >= version) {
                throw new IllegalArgumentException("delta from version " + d.fromVersion()
                        + " is not from an earlier version than " + version);
            }
        }
    }

    /**
     * The format version a publisher writes for vectors in {@code encoding}: the lowest that can express it,
     * so that every client able to install the version reads the manifest. Float32 manifests stay format 1,
     * which every release reads; other encodings need format 2, which releases before it refuse before
     * downloading anything (they ignore fields they do not know, but not a format version).
     */
    public static int formatVersionFor(VectorEncoding encoding) {
        return encoding == VectorEncoding.F32 ? 1 : 2;
    }

    private static void checkNativePayloads(List<Payload> nativePayloads) {
        Set<String> kinds = new HashSet<>();
        for (Payload p : nativePayloads) {
            if (p.kind().isBlank() || Payload.RECORDS.equals(p.kind())) {
                throw new IllegalArgumentException("native payload kind: expected a store-native kind, not blank and not '"
                        + Payload.RECORDS + "', but was '" + p.kind() + "'");
            }
            if (!kinds.add(p.kind())) {
                throw new IllegalArgumentException("native payload kind '" + p.kind() + "' appears more than once");
            }
            // All files of a native payload are needed: a name listed twice would be fetched and installed twice.
            Set<String> names = new HashSet<>();
            for (PayloadFile f : p.files()) {
                if (!names.add(f.name())) {
                    throw new IllegalArgumentException("native payload '" + p.kind() + "' lists file " + f.name() + " twice");
                }
            }
        }
    }

    /**
     * Every payload file lives in one directory on the host and in one download area on a client, keyed by
     * name: one name must therefore mean the same bytes wherever the manifest lists it.
     */
    private static void checkOneFilePerName(Payload payload, List<Payload> nativePayloads, List<Delta> deltas) {
        Map<String, PayloadFile> byName = new HashMap<>();
        List<List<PayloadFile>> all = new ArrayList<>();
        all.add(payload.files());
        nativePayloads.forEach(p -> all.add(p.files()));
        deltas.forEach(d -> all.add(d.files()));
        for (List<PayloadFile> files : all) {
            for (PayloadFile f : files) {
                PayloadFile other = byName.putIfAbsent(f.name(), f);
                if (other != null && !other.equals(f)) {
                    throw new IllegalArgumentException("file " + f.name() + " is listed with different sizes or hashes: "
                            + other + " and " + f);
                }
            }
        }
    }

    /** The store-native payload of {@code kind}, if this manifest carries one. */
    public Optional<Payload> nativePayload(String kind) {
        return nativePayloads.stream().filter(p -> p.kind().equals(kind)).findFirst();
    }

    /** The delta from {@code installedVersion}, if this manifest carries one. */
    public Optional<Delta> deltaFrom(long installedVersion) {
        return deltas.stream().filter(d -> d.fromVersion() == installedVersion).findFirst();
    }
}
