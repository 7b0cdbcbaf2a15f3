/**
 * Demo and test helpers, not part of the API: {@link dev.nyla.sync.demo.HashingEmbedder}, a model-free
 * lexical embedder for the command line's demo and {@code --embedder hashing}, and for tests. The module
 * exports this package only to the command line; applications use a real model (the DJL embedder).
 */
package dev.nyla.sync.demo;
