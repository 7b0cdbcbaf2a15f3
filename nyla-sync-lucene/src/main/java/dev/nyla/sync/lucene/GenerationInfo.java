package dev.nyla.sync.lucene;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.internal.StoreDirectory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * A generation and what the Lucene store keeps with it in {@code generation.json}: the settings its
 * segments are written with (mutations add segments in the same format), the Lucene version and codec of
 * its last commit, and, when it was installed from a Lucene payload, the size and SHA-256 of every file, so
 * that a later payload sharing those files does not download them again.
 *
 * @param files index file name to its facts; empty for generations built from records
 */
record GenerationInfo(Generation generation, LuceneOptions writeOptions, String luceneVersion, String codec,
                      Map<String, FileFacts> files) {

    GenerationInfo {
        files = Map.copyOf(files);
    }

    /** An index file as installed: its size and SHA-256. */
    record FileFacts(long size, String sha256) {
    }

    /** Writes {@code generation.json} into the generation's directory: the fields every store writes, then Lucene's. */
    void write(Path generationDirectory) throws IOException {
        ObjectNode n = StoreDirectory.generationJson(generation);
        ObjectNode l = n.putObject("lucene");
        l.put("version", luceneVersion);
        l.put("codec", codec);
        l.put("maxConn", writeOptions.maxConn());
        l.put("beamWidth", writeOptions.beamWidth());
        l.put("quantization", writeOptions.quantization().wireName());
        ObjectNode f = n.putObject("files");
        new TreeMap<>(files).forEach((name, facts) -> {
            ObjectNode e = f.putObject(name);
            e.put("size", facts.size());
            e.put("sha256", facts.sha256());
        });
        StoreDirectory.writeGenerationFile(generationDirectory, n);
    }

    static GenerationInfo read(Path generationDirectory, long id, LuceneOptions defaults) throws IOException {
        JsonNode n = StoreDirectory.readGenerationFile(generationDirectory, id);
        Generation g = StoreDirectory.generation(n);
        JsonNode l = n.path("lucene");
        LuceneOptions write = defaults.withHnsw(l.path("maxConn").asInt(defaults.maxConn()),
                l.path("beamWidth").asInt(defaults.beamWidth()))
                .withQuantization(Quantization.fromWireName(l.path("quantization").asText("none")));
        Map<String, FileFacts> files = new TreeMap<>();
        n.path("files").properties().forEach(e -> files.put(e.getKey(),
                new FileFacts(e.getValue().path("size").asLong(), e.getValue().path("sha256").asText())));
        return new GenerationInfo(g, write, l.path("version").asText(), l.path("codec").asText(), files);
    }
}
