package dev.nyla.sync.jdbc;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.SourceRecord;
import dev.nyla.sync.artifact.DirectoryArtifactSource;
import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.VectorEncoding;
import dev.nyla.sync.client.NylaSync;
import dev.nyla.sync.client.SyncResult;
import dev.nyla.sync.demo.HashingEmbedder;
import dev.nyla.sync.corpus.Corpus;
import dev.nyla.sync.publish.Publisher;
import dev.nyla.sync.store.SearchHit;
import dev.nyla.sync.store.SearchRequest;
import java.io.IOException;
import java.nio.file.Path;
import java.security.KeyPair;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A float16 version installed into SQLite: the rows hold the published values widened, exactly. */
class Float16InstallTest {
    private static final KeyPair KEYS = SigningKeys.generate();
    private static final HashingEmbedder EMBEDDER = new HashingEmbedder(48);

    @TempDir
    Path dir;

    @Test
    void anF16VersionInstallsIntoSqliteAsTheWidenedHalvesOfThePublishedVectors() throws IOException, SQLException {
        List<SourceRecord> corpus = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            corpus.add(new SourceRecord(i % 4 == 0 ? "acme" : "default", "doc-" + i,
                    "Record " + i + " about topic " + (i % 13), Map.of("topic", "" + (i % 13))));
        }
        Publisher.builder().signingKey(KEYS).embedder(EMBEDDER).vectorEncoding(VectorEncoding.F16).build()
                .publish(Corpus.of(corpus), dir.resolve("site"));
        String prefix = TestDatabases.uniquePrefix();
        DataSource ds = Databases.SQLITE.dataSource(dir);
        Map<String, float[]> stored = new HashMap<>();
        try (JdbcVectorStore store = JdbcVectorStore.open(ds, Databases.SQLITE.options(prefix));
             NylaSync sync = NylaSync.builder().source(new DirectoryArtifactSource(dir.resolve("site"))).store(store)
                     .publicKey(KEYS.getPublic()).queryEmbedder(EMBEDDER).build()) {
            SyncResult r = sync.checkNow();
            assertEquals(SyncResult.Outcome.INSTALLED, r.outcome(), r.steps().toString());
            long generation = store.activeGeneration().orElseThrow().id();
            try (Connection c = ds.getConnection(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT tenant, id, vector FROM \"" + prefix + "_g" + generation + "\"")) {
                while (rs.next()) {
                    String key = rs.getString(1) + "/" + rs.getString(2);
                    stored.put(key, Codec.fromLittleEndian(rs.getBytes(3), key));
                }
            }
            // Searching with a record's own unrounded embedding still finds it first.
            SourceRecord probe = corpus.get(17);
            List<SearchHit> hits = store.search(SearchRequest.of(probe.tenant(), EMBEDDER.embed(probe.text()), 3));
            assertEquals(probe.id(), hits.get(0).id());
        }
        assertEquals(corpus.size(), stored.size());
        for (SourceRecord s : corpus) {
            float[] embedded = EMBEDDER.embed(s.text());
            float[] expected = new float[embedded.length];
            for (int i = 0; i < embedded.length; i++) {
                expected[i] = Float.float16ToFloat(Float.floatToFloat16(embedded[i]));
            }
            assertArrayEquals(expected, stored.get(s.tenant() + "/" + s.id()), s.id());
        }
    }
}
