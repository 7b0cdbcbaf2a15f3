/**
 * An {@link dev.nyla.sync.embed.Embedder} on DJL: all-MiniLM-L6-v2 offline by default, ONNX Runtime and PyTorch
 * engines, HuggingFace tokenizers.
 *
 * <p>DJL's jars have no module descriptors; the names below are the Automatic-Module-Names of their
 * manifests. Its engines ({@code ai.djl.onnxruntime_engine}, {@code ai.djl.pytorch_engine}) are automatic
 * modules too, which DJL finds through its own service loader: resolving {@code ai.djl.api}, an automatic
 * module, resolves every automatic module on the module path, so an engine there needs no {@code requires}.
 * (The tests run DJL on the class path; the command line ships it there too.)
 */
module dev.nyla.sync.djl {
    requires transitive dev.nyla.sync;
    // DjlEmbedder.Builder.block takes a DJL Block (a DJL-format model's network).
    requires transitive ai.djl.api;
    requires ai.djl.tokenizers;
    // Only OrtTuning uses it, and only when the model runs on ONNX Runtime.
    requires static com.microsoft.onnxruntime;
    requires org.slf4j;

    exports dev.nyla.sync.djl;
}
