package dev.nyla.sync.lucene;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.Similarity;
import dev.nyla.sync.internal.DurableFiles;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.StoreException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
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

    static final String FILE = "generation.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    GenerationInfo {
        files = Map.copyOf(files);
    }

    /** An index file as installed: its size and SHA-256. */
    record FileFacts(long size, String sha256) {
    }

    void write(Path file) throws IOException {
        Generation g = generation;
        ObjectNode n = JSON.createObjectNode();
        n.put("id", g.id());
        n.put("version", g.version());
        n.put("label", g.label());
        n.put("committedAt", g.committedAt().toString());
        n.put("recordCount", g.recordCount());
        ObjectNode m = n.putObject("model");
        m.put("id", g.model().id());
        m.put("dimension", g.model().dimension());
        m.put("similarity", g.model().similarity().wireName());
        m.put("normalized", g.model().normalized());
        m.put("fingerprint", g.model().fingerprint());
        ObjectNode a = n.putObject("attributes");
        new TreeMap<>(g.attributes()).forEach(a::put);
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
        DurableFiles.writeAtomically(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(n));
    }

    static GenerationInfo read(Path file, long id, LuceneOptions defaults) throws IOException {
        JsonNode n = JSON.readTree(Files.readAllBytes(file));
        if (n.path("id").asLong() != id) {
            throw new StoreException(file.toString(), "generation id", id, n.path("id").asLong());
        }
        JsonNode m = n.path("model");
        EmbeddingModel model = new EmbeddingModel(m.path("id").asText(), m.path("dimension").asInt(),
                Similarity.fromWireName(m.path("similarity").asText()), m.path("normalized").asBoolean(),
                m.path("fingerprint").asText());
        Map<String, String> attributes = new TreeMap<>();
        n.path("attributes").properties().forEach(e -> attributes.put(e.getKey(), e.getValue().asText()));
        Generation g = new Generation(id, n.path("version").asLong(), n.path("label").asText(), model,
                n.path("recordCount").asLong(), Instant.parse(n.path("committedAt").asText()), attributes);
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
