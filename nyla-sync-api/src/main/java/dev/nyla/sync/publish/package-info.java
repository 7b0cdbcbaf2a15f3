/**
 * Building artifact versions: the incremental, deterministic {@link dev.nyla.sync.publish.Publisher} of a
 * {@link dev.nyla.sync.corpus.Corpus} (or of records that already have vectors, such as an imported
 * {@link dev.nyla.sync.corpus.SeedIndex}), key rotation and pruning of a site.
 */
package dev.nyla.sync.publish;

import dev.nyla.sync.corpus.Corpus;
import dev.nyla.sync.corpus.SeedIndex;
