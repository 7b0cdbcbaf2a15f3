package dev.nyla.sync.djl;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

/**
 * ONNX Runtime session settings for embedding on the CPU inside an application. Kept apart from
 * {@link DjlEmbedder} so that ONNX Runtime's classes load only when the engine is ONNX Runtime (a PyTorch-only
 * class path may lack them).
 *
 * <p>Runtime's defaults are tuned for a machine given over to inference: its intra-op threads spin between
 * operators, which on a shared machine takes the cores other threads (the application, the tokenizer) need
 * and measured 2× slower on a loaded 2-core machine (benchmarks/README.md, EmbedBenchmark). Here: one thread
 * per core, operators in sequence, every graph optimization, no spinning.
 */
final class OrtTuning {
    /** DJL's ONNX Runtime engine takes a ready {@link OrtSession.SessionOptions} under this model option. */
    static final String OPTION = "sessionOptions";

    private OrtTuning() {
    }

    /** New session options; the caller closes them once the model is loaded (the session keeps a copy). */
    static OrtSession.SessionOptions sessionOptions() throws OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        try {
            options.setIntraOpNumThreads(Runtime.getRuntime().availableProcessors());
            options.setInterOpNumThreads(1);
            options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            options.addConfigEntry("session.intra_op.allow_spinning", "0");
            return options;
        } catch (OrtException | RuntimeException e) {
            options.close();
            throw e;
        }
    }
}
