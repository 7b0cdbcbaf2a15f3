/**
 * The DJL embedder: {@link dev.nyla.sync.embed.Embedder} on DJL with ONNX Runtime and PyTorch, all-MiniLM-L6-v2
 * by default, loaded offline. Not yet implemented: this module is a placeholder in the build.
 */
package dev.nyla.sync.djl;
