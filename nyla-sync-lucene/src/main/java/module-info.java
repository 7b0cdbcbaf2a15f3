/**
 * A {@link dev.nyla.sync.store.VectorStore} on Lucene HNSW ({@code lucene:} locations), and the publisher's side
 * of prebuilt-index payloads.
 *
 * @provides dev.nyla.sync.store.VectorStoreProvider {@code lucene:<directory>} locations
 * @provides dev.nyla.sync.publish.NativePayloadFormat payloads of kind {@code lucene}: prebuilt indexes
 */
module dev.nyla.sync.lucene {
    requires transitive dev.nyla.sync;
    requires org.apache.lucene.core;
    // Indexes written by earlier Lucene versions stay readable: their codecs live here, found by Lucene's SPI.
    requires org.apache.lucene.backward_codecs;
    requires com.fasterxml.jackson.databind;
    requires org.slf4j;

    exports dev.nyla.sync.lucene;

    provides dev.nyla.sync.store.VectorStoreProvider with dev.nyla.sync.lucene.LuceneStoreProvider;
    provides dev.nyla.sync.publish.NativePayloadFormat with dev.nyla.sync.lucene.LucenePayloadFormat;
}
