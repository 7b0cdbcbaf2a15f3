/**
 * nyla-sync's API: the SPIs (vector stores, embedders, artifact sources, native payload formats), the value
 * types, the artifact format, the publisher, the sync client and the reconciler, with the in-memory and file
 * stores.
 *
 * <p>Package graph (each package depends only on those below it): {@code dev.nyla.sync} (values and the
 * data-check exceptions) and {@code internal} at the bottom; {@code embed}, {@code store} and {@code corpus}
 * on them; {@code artifact} on {@code store}; {@code artifact.internal} (codecs, signatures, verification) on
 * {@code artifact}; {@code publish}, {@code client} and {@code reconcile} on top. {@code internal} holds helpers
 * the packages share with the project's own adapters and is exported to them only; {@code artifact.internal}
 * and {@code demo} (a model-free embedder for the demo and tests) are exported only to the command line, and
 * {@code store.providers} (the {@code memory:} and {@code file:} store providers) to no one.
 *
 * @uses dev.nyla.sync.store.VectorStoreProvider store adapters, found by the scheme of a location
 * @uses dev.nyla.sync.publish.NativePayloadFormat the publisher's side of store-native payloads, found by kind
 * @provides dev.nyla.sync.store.VectorStoreProvider {@code memory:} and {@code file:} locations
 */
module dev.nyla.sync {
    requires transitive java.net.http;
    requires com.fasterxml.jackson.databind;
    requires org.slf4j;
    // Only to read HTML corpora; Corpus names the dependency to add when it meets an HTML file without it.
    requires static org.jsoup;

    exports dev.nyla.sync;
    exports dev.nyla.sync.artifact;
    exports dev.nyla.sync.client;
    exports dev.nyla.sync.corpus;
    exports dev.nyla.sync.embed;
    exports dev.nyla.sync.publish;
    exports dev.nyla.sync.reconcile;
    exports dev.nyla.sync.store;

    exports dev.nyla.sync.internal to dev.nyla.sync.lucene, dev.nyla.sync.jdbc, dev.nyla.sync.djl, dev.nyla.sync.cli;
    exports dev.nyla.sync.store.internal to dev.nyla.sync.lucene, dev.nyla.sync.jdbc, dev.nyla.sync.cli;
    exports dev.nyla.sync.nativepayload to dev.nyla.sync.lucene, dev.nyla.sync.cli;
    exports dev.nyla.sync.artifact.internal to dev.nyla.sync.cli;
    exports dev.nyla.sync.demo to dev.nyla.sync.cli;

    uses dev.nyla.sync.store.VectorStoreProvider;
    uses dev.nyla.sync.publish.NativePayloadFormat;

    // In a package exported to no one: only the service loader reaches them.
    provides dev.nyla.sync.store.VectorStoreProvider
            with dev.nyla.sync.store.providers.MemoryVectorStoreProvider,
                    dev.nyla.sync.store.providers.FileVectorStoreProvider;
}
