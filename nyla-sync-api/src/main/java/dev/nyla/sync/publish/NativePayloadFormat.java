package dev.nyla.sync.publish;

import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.store.Payload;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Writes a store-native payload (such as a prebuilt Lucene index) that a {@link Publisher} puts into an
 * artifact beside the portable records, so that clients with that store install it without rebuilding
 * anything. Store adapters implement it and register it in
 * {@code META-INF/services/dev.nyla.sync.publish.NativePayloadFormat}; {@link #forKind} finds one by kind.
 */
public interface NativePayloadFormat {

    /** The payload kind written, e.g. {@code lucene}. */
    String kind();

    /**
     * Starts the payload of a new version.
     *
     * @param model the embedding model of every vector
     * @param base  the previous version's payload of this kind, to build on incrementally so that most of
     *              its files stay unchanged (clients then download only the rest); empty to build from scratch
     */
    NativePayloadBuilder begin(EmbeddingModel model, Optional<Base> base) throws IOException;

    /**
     * The previous version's native payload: its description from the previous manifest, and the directory
     * holding its files (verified by the publisher against the manifest's sizes and SHA-256s).
     *
     * @param compact whether the publisher asks for the new payload in its most compact form rather than for
     *                the fewest changed files ({@link Publisher.Builder#compactNativePayloads}): for a Lucene
     *                index one segment without deleted documents, which clients download in full once. A
     *                format without such a form ignores it.
     */
    record Base(Payload payload, Path directory, boolean compact) {
        public Base {
            Objects.requireNonNull(payload, "payload");
            Objects.requireNonNull(directory, "directory");
        }

        /** A base to build on for the fewest changed files. */
        public Base(Payload payload, Path directory) {
            this(payload, directory, false);
        }
    }

    /**
     * The registered format for {@code kind}, found through the thread's context class loader (looked up
     * once per class loader and kept).
     *
     * @throws IllegalArgumentException naming the kinds found when none is registered for {@code kind}
     * @throws IllegalStateException    naming both formats when two are registered for {@code kind}
     */
    static NativePayloadFormat forKind(String kind) {
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        ClassLoader loader = context != null ? context : ClassLoader.getSystemClassLoader();
        return NativePayloadFormats.REGISTERED.get(kind, loader).orElseThrow(() -> new IllegalArgumentException(
                "native payload kind: expected one of " + NativePayloadFormats.REGISTERED.all(loader).keySet()
                        + " (the formats of the store adapters on the class path) but was '" + kind + "'"));
    }
}
