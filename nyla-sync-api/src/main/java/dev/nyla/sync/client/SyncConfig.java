package dev.nyla.sync.client;

import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.artifact.ArtifactSource;
import dev.nyla.sync.artifact.TrustRoot;
import dev.nyla.sync.embed.Embedder;
import dev.nyla.sync.corpus.Corpus;
import dev.nyla.sync.store.VectorStore;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

/** The validated settings of one {@link NylaSync}, as the builder made them. */
record SyncConfig(ArtifactSource source, VectorStore store, TrustRoot pinnedKeys,
                  Optional<EmbeddingModel> expectedModel, boolean manualMode, Predicate<UpdateOffer> approver,
                  Predicate<UpdateOffer> condition, BooleanSupplier metered, boolean allowDowngrade,
                  String clientId, Optional<Path> stateDirectory, SyncListener listener, Clock clock,
                  long maxManifestBytes, int keepGenerations, Optional<Corpus> rebuildCorpus,
                  Optional<Embedder> rebuildEmbedder, Optional<ArtifactSource> baseline) {
}
