/**
 * The embedder SPI, {@link dev.nyla.sync.embed.Embedder}, and a model-free lexical embedder for tests and
 * examples.
 */
package dev.nyla.sync.embed;
