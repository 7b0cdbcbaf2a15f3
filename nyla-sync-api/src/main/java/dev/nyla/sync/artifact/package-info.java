/**
 * The artifact format (see docs/artifact-format.md): the signed {@link dev.nyla.sync.artifact.Manifest},
 * binary record files, Ed25519 keys, verification of every byte, and the
 * {@link dev.nyla.sync.artifact.ArtifactSource} SPI that artifacts are fetched through.
 */
package dev.nyla.sync.artifact;
