/**
 * The artifact format's machinery that the sync client and the publisher share, not part of the API: the
 * manifest and key-document codecs (strict JSON), their signature files, the checks of key documents against
 * the trusted keys ({@link dev.nyla.sync.artifact.internal.RootRotation}), and reading artifacts safely
 * ({@link dev.nyla.sync.artifact.internal.Artifacts}: the manifest only after its signature, payload files only
 * through size, hash and decompression checks).
 *
 * <p>It sits above {@code dev.nyla.sync.artifact} (whose values and sources it uses; nothing there uses it) and
 * below {@code client} and {@code publish}. The module exports it only to the command line.
 */
package dev.nyla.sync.artifact.internal;
