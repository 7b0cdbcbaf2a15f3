/**
 * An {@link dev.nyla.sync.embed.Embedder} on DJL: all-MiniLM-L6-v2 offline by default, ONNX Runtime and PyTorch
 * engines, HuggingFace tokenizers.
 *
 * <p>DJL's jars have no module descriptors; the names below are the Automatic-Module-Names of their
 * manifests. DJL finds its engines through its own service loader at run time; on the module path, add the
 * engine's module ({@code ai.djl.onnxruntime_engine} or {@code ai.djl.pytorch_engine}) with
 * {@code --add-modules}.
 */
module dev.nyla.sync.djl {
    requires transitive dev.nyla.sync;
    // DjlEmbedder.Builder.block takes a DJL Block (a DJL-format model's network).
    requires transitive ai.djl.api;
    requires ai.djl.tokenizers;
    requires org.slf4j;

    exports dev.nyla.sync.djl;
}
