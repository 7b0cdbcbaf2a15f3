package dev.nyla.sync.publish;

import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.store.Compression;
import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.store.PayloadFile;
import dev.nyla.sync.VectorEncoding;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The versions a new version carries deltas from: each of the last {@code size} versions before it that
 * the site can still make a delta from. A version is skipped, with a log line saying why, when it is not
 * in the previous directory's {@link SiteHistory} (and is not the previous version itself, whose live
 * manifest serves), when its history entry does not verify, when its channel, model fingerprint or
 * dimension or vector encoding differ from the new version's (its records are not comparable), or when none of its full
 * payload's encodings is in the directory with its declared size (pruned). Skipping never fails the
 * publication: a client of a skipped version installs the full payload.
 */
final class DeltaWindow {
    private static final Logger LOG = LoggerFactory.getLogger(DeltaWindow.class);

    /**
     * A version a delta can be written from.
     *
     * @param manifest  its signed manifest
     * @param directory where its full payload is
     * @param file      the encoding of its full payload to read (plain when present: no decompression)
     */
    record Base(Manifest manifest, Path directory, PayloadFile file) {
    }

    private DeltaWindow() {
    }

    /**
     * The bases for the version after {@code previous}, newest first.
     *
     * @param previous    the previous version's verified manifest
     * @param previousDir the directory it was read from: its history and payload files are looked up there
     * @param size        how many versions back deltas reach, 0 for none
     * @param model       the new version's model
     * @param encoding    the new version's vector encoding
     * @param trustedKeys the keys history entries must be signed with
     */
    static List<Base> bases(Manifest previous, Path previousDir, int size, EmbeddingModel model,
                            VectorEncoding encoding, Collection<PublicKey> trustedKeys) {
        List<Base> bases = new ArrayList<>();
        // Grouped into one line each: after an upgrade or a prune, most of the window is missing at once.
        List<Long> notRecorded = new ArrayList<>();
        List<Long> pruned = new ArrayList<>();
        SiteHistory history = new SiteHistory(previousDir);
        long oldest = Math.max(1, previous.version() + 1 - size);
        for (long v = previous.version(); v >= oldest; v--) {
            Optional<Manifest> m;
            if (v == previous.version()) {
                m = Optional.of(previous);
            } else {
                try {
                    m = history.read(v, trustedKeys);
                } catch (IOException e) {
                    LOG.warn("no delta from version {}: its history entry {} cannot be used: {}", v,
                            history.manifestFile(v), e.getMessage());
                    continue;
                }
            }
            if (m.isEmpty()) {
                notRecorded.add(v);
                continue;
            }
            Optional<String> why = unusable(m.get(), previous, model, encoding);
            if (why.isPresent()) {
                LOG.info("no delta from version {}: {}", v, why.get());
                continue;
            }
            Optional<PayloadFile> file = presentFile(m.get(), previousDir);
            if (file.isEmpty()) {
                pruned.add(v);
                continue;
            }
            bases.add(new Base(m.get(), previousDir, file.get()));
        }
        if (!notRecorded.isEmpty()) {
            LOG.info("no delta from {}: not in the history of {} (published before the site kept one, or removed "
                    + "from it)", versions(notRecorded), previousDir);
        }
        if (!pruned.isEmpty()) {
            LOG.info("no delta from {}: the full payload is no longer in {} (pruned)", versions(pruned), previousDir);
        }
        return bases;
    }

    /** "version 7" or "versions 3, 2, 1", as collected (newest first). */
    private static String versions(List<Long> versions) {
        return versions.size() == 1 ? "version " + versions.get(0)
                : "versions " + versions.stream().map(String::valueOf).collect(Collectors.joining(", "));
    }

    /** Why the records of {@code m} cannot be compared with the new version's, if they cannot. */
    private static Optional<String> unusable(Manifest m, Manifest previous, EmbeddingModel model,
                                             VectorEncoding encoding) {
        if (!m.channel().equals(previous.channel())) {
            return Optional.of("it is of channel " + m.channel() + ", not " + previous.channel());
        }
        if (!m.model().fingerprint().equals(model.fingerprint()) || m.model().dimension() != model.dimension()) {
            return Optional.of("its model is " + m.model().fingerprint() + " (" + m.model().dimension()
                    + " dims), the new version's " + model.fingerprint() + " (" + model.dimension()
                    + " dims): every record changed");
        }
        if (m.vectorEncoding() != encoding) {
            return Optional.of("its vectors are " + m.vectorEncoding().wireName() + ", the new version's "
                    + encoding.wireName() + ": every vector changed");
        }
        return Optional.empty();
    }

    /**
     * The encoding of {@code m}'s full payload to read, plain first: one that is in {@code dir} with its
     * declared size (its SHA-256 is checked as it is read).
     */
    private static Optional<PayloadFile> presentFile(Manifest m, Path dir) {
        return m.payload().files().stream()
                .sorted(Comparator.comparing(f -> f.compression() == Compression.NONE ? 0 : 1))
                .filter(f -> {
                    Path p = dir.resolve(f.name());
                    try {
                        return Files.isRegularFile(p) && Files.size(p) == f.size();
                    } catch (IOException e) {
                        return false;
                    }
                })
                .findFirst();
    }
}
