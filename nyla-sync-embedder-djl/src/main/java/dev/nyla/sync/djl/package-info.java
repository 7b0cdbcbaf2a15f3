/**
 * The DJL embedder: {@link dev.nyla.sync.embed.Embedder} on DJL with ONNX Runtime and PyTorch, all-MiniLM-L6-v2
 * by default, loaded offline. Start at {@link dev.nyla.sync.djl.DjlEmbedder}.
 */
package dev.nyla.sync.djl;
