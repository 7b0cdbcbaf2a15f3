/**
 * The embedder SPI, {@link dev.nyla.sync.embed.Embedder}, and its failure, {@link dev.nyla.sync.embed.EmbeddingException}.
 */
package dev.nyla.sync.embed;
