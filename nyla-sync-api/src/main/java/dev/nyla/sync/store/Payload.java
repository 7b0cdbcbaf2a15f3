package dev.nyla.sync.store;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A full payload of an artifact version, as its manifest describes it: the portable records every client can
 * install ({@link dev.nyla.sync.artifact.Manifest#payload()}), or a store-native alternative to them
 * ({@link dev.nyla.sync.artifact.Manifest#nativePayloads()}) that a store of that format installs.
 *
 * <p>For kind {@value #RECORDS} the files are alternative encodings of one record stream (say gzip and
 * uncompressed), the preferred one first; a client downloads one of them. For store-native kinds, defined
 * by store adapters, the files are the parts of the payload, all needed, and {@code attributes} carry what
 * the adapter needs to read them (such as an index format version).
 *
 * @param kind       {@value #RECORDS} or a store-native kind
 * @param attributes kind-specific facts
 * @param files      the files, never empty
 */
public record Payload(String kind, Map<String, String> attributes, List<PayloadFile> files) {

    /** The portable payload kind: a stream of records in the nyla record format. */
    public static final String RECORDS = "records";

    public Payload {
        Objects.requireNonNull(kind, "kind");
        attributes = Map.copyOf(attributes);
        files = List.copyOf(files);
        if (files.isEmpty()) {
            throw new IllegalArgumentException("payload of kind " + kind + " has no files");
        }
    }
}
