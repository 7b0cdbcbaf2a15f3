/**
 * Building artifact versions: {@link dev.nyla.sync.publish.Corpus} readers, the incremental, deterministic
 * {@link dev.nyla.sync.publish.Publisher}, and the import of the original system's JSON index
 * ({@link dev.nyla.sync.publish.SeedIndex}).
 */
package dev.nyla.sync.publish;
