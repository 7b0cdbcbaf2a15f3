package dev.nyla.sync.artifact;

import dev.nyla.sync.EmbeddingModel;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The small, signed, mutable description of one artifact version: which payload files make it up (with
 * sizes and sha256), which model embedded it, and how it may be installed. Clients fetch it often and
 * cheaply; everything else is immutable and content-addressed. See {@code docs/artifact-format.md}.
 *
 * @param formatVersion the manifest format, {@value #FORMAT_VERSION} for this library
 * @param channel       the release channel, e.g. {@code stable}
 * @param version       increases with every publication on the channel; clients never go backwards
 * @param label         a human-readable name for the version, may be empty
 * @param createdAt     when it was published
 * @param expiresAt     after this instant clients refuse it (a frozen or replayed manifest goes stale)
 * @param model         the embedding model of every vector in the payload
 * @param payload       the full payload
 * @param records       how many records the full payload holds
 * @param tenants       how many tenants they belong to
 * @param deltas        delta payloads from earlier versions, possibly none
 * @param rollout       the staged-rollout setting
 */
public record Manifest(int formatVersion, String channel, long version, String label, Instant createdAt,
                       Instant expiresAt, EmbeddingModel model, Payload payload, long records, long tenants,
                       List<Delta> deltas, Rollout rollout) {

    /** The manifest format this library reads and writes. */
    public static final int FORMAT_VERSION = 1;
    /** The file name of the manifest on the host. */
    public static final String FILE_NAME = "manifest.json";
    /** The file name of the manifest's detached signature on the host. */
    public static final String SIGNATURE_FILE_NAME = "manifest.json.sig";
    /** The default cap on manifest size, in bytes; a larger manifest is refused unread. */
    public static final long DEFAULT_MAX_BYTES = 4L << 20;

    public Manifest {
        Objects.requireNonNull(channel, "channel");
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(expiresAt, "expiresAt");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(payload, "payload");
        Objects.requireNonNull(rollout, "rollout");
        deltas = List.copyOf(deltas);
        if (formatVersion != FORMAT_VERSION) {
            throw new IllegalArgumentException("format version: expected " + FORMAT_VERSION + " but was " + formatVersion);
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
        for (Delta d : deltas) {
            if (d.fromVersion() >= version) {
                throw new IllegalArgumentException("delta from version " + d.fromVersion()
                        + " is not from an earlier version than " + version);
            }
        }
    }

    /** The delta from {@code installedVersion}, if this manifest carries one. */
    public Optional<Delta> deltaFrom(long installedVersion) {
        return deltas.stream().filter(d -> d.fromVersion() == installedVersion).findFirst();
    }
}
