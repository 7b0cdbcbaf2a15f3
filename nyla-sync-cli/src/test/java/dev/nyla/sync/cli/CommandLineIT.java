package dev.nyla.sync.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.SimpleFileServer;
import dev.nyla.sync.demo.HashingEmbedder;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every command end to end through the real jar in child processes: publish, sync over HTTP on loopback,
 * search, publish an edit, delta sync, rollback, verify, reconcile on PostgreSQL, import the original JSON
 * index, the watch loop, exit codes and usage errors, and the demo. Runs after {@code package} (failsafe).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CommandLineIT {
    private static final Path PROJECT = Path.of(System.getProperty("nyla.project.root", "..")).toAbsolutePath().normalize();
    private static final String POSTGRES_URL = System.getenv().getOrDefault("NYLA_TEST_POSTGRES_URL",
            "jdbc:postgresql://127.0.0.1:5432/nyla_test?user=nyla&password=nyla");

    /** Keys, the corpus and version 1, shared by the tests; made once. */
    private Path shared;
    private Jar jar;
    private Path keys;
    /** The corpus of version 1, by id: tenant, topic, text. */
    private final Map<String, String[]> corpus = new LinkedHashMap<>();
    /** Version 1 as published with --payload lucene; tests copy it before publishing more. */
    private Path siteV1;
    private String publishV1;

    @BeforeAll
    void publishVersionOne(@TempDir Path shared) throws Exception {
        this.shared = shared;
        jar = new Jar(shared.resolve("home"));
        corpus.put("password-reset", new String[] {"default", "account",
                "Resetting your password\nOpen the sign-in page, choose 'Forgot password' and follow the link we e-mail you."});
        corpus.put("billing-cycle", new String[] {"default", "billing",
                "Billing cycle\nInvoices are issued on the first day of each month and paid by card."});
        corpus.put("shipping-times", new String[] {"default", "orders",
                "Shipping times\nParcels leave our warehouse within two working days and arrive in three to five."});
        corpus.put("api-keys", new String[] {"default", "developers",
                "API keys\nCreate an API key in the developer console; keep it secret and rotate it every 90 days."});
        corpus.put("dark-mode", new String[] {"default", "settings",
                "Dark mode\nSwitch the interface to dark colours under Settings, Appearance."});
        corpus.put("office-hours", new String[] {"acme", "support",
                "Support hours\nAcme's support desk answers phone calls from 9 to 5 on weekdays."});
        corpus.put("vpn", new String[] {"acme", "it",
                "VPN access\nConnect to the Acme network from home through the company VPN client."});
        Path file = shared.resolve("corpus.jsonl");
        writeCorpus(corpus, file);
        keys = shared.resolve("release");
        Jar.Result k = jar.run("keygen", "--out", keys.toString());
        assertEquals(0, k.exit(), k.both());
        siteV1 = shared.resolve("site-v1");
        Jar.Result p = jar.run("publish", "--corpus", file.toString(), "--out", siteV1.toString(),
                "--signing-key", keys + ".key", "--payload", "lucene", "--label", "kb one");
        assertEquals(0, p.exit(), p.both());
        publishV1 = p.out();
    }

    @Test
    void publishSyncSearchDeltaRollbackVerifyOverHttp(@TempDir Path dir) throws Exception {
        assertTrue(publishV1.contains("published version 1 (kb one)"), publishV1);
        assertTrue(publishV1.contains("7 added, 0 updated, 0 unchanged, 0 deleted; 7 embedded"), publishV1);
        assertTrue(publishV1.contains("lucene payload:"), publishV1);
        Path site = copy(siteV1, dir.resolve("site"));
        String store = "lucene:" + dir.resolve("store");
        HttpServer server = SimpleFileServer.createFileServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                site, SimpleFileServer.OutputLevel.NONE);
        server.start();
        try {
            String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/";
            Jar.Result s1 = jar.run("sync", "--source", url, "--store", store, "--public-key", keys + ".pub");
            assertEquals(0, s1.exit(), s1.both());
            assertTrue(s1.out().contains("installed version 1 (kb one) by native full"), s1.out());
            assertTrue(s1.out().contains("verified "), "plain progress lines without a terminal: " + s1.out());

            assertEquals("password-reset", topHit(jar.run("search", "--store", store, "I forgot my password")));
            assertEquals("vpn", topHit(jar.run("search", "--store", store, "--tenant", "acme", "working from home network")));
            Jar.Result filtered = jar.run("search", "--store", store, "--filter", "topic=billing", "--k", "3", "password");
            assertEquals(List.of("billing-cycle"), hits(filtered), filtered.both());
            // Several queries from standard input, the model loaded once: each query's hits under its own line.
            Jar.Result several = jar.runWithInput("I forgot my password\nwhen are invoices paid\n", "search", "--store",
                    store, "--k", "1", "--queries", "-");
            assertEquals(List.of("password-reset", "billing-cycle"), hits(several), several.both());
            assertTrue(several.out().startsWith("query: I forgot my password\n"), several.out());
            assertTrue(several.out().contains("\n\nquery: when are invoices paid\n"), several.out());

            Jar.Result status = jar.run("status", "--store", store);
            assertEquals(0, status.exit(), status.both());
            assertTrue(status.out().contains("version      1 (kb one)"), status.out());
            assertTrue(status.out().contains("records      7 in 2 tenants"), status.out());
            assertTrue(status.out().contains("source       " + url), status.out());
            assertTrue(status.out().contains(": INSTALLED"), status.out());

            // Version 2: one record edited, one deleted, one added; published into the same site, portable
            // records only, so the client applies a record delta on top of the index it installed by files.
            Map<String, String[]> v2 = new LinkedHashMap<>(corpus);
            v2.put("billing-cycle", new String[] {"default", "billing",
                    "Billing cycle\nInvoices are issued on the fifteenth of each month."});
            v2.remove("shipping-times");
            v2.put("refunds", new String[] {"default", "billing",
                    "Refunds\nWe refund returned items to the original card within ten days."});
            Path file = dir.resolve("corpus-v2.jsonl");
            writeCorpus(v2, file);
            Jar.Result p2 = jar.run("publish", "--corpus", file.toString(), "--out", site.toString(), "--previous",
                    site.toString(), "--signing-key", keys + ".key");
            assertEquals(0, p2.exit(), p2.both());
            assertTrue(p2.out().contains("published version 2"), p2.out());
            assertTrue(p2.out().contains("1 added, 1 updated, 5 unchanged, 1 deleted; 2 embedded"), p2.out());
            assertTrue(p2.out().contains("delta from version 1: "), p2.out());

            Jar.Result s2 = jar.run("sync", "--source", url, "--store", store, "--public-key", keys + ".pub");
            assertEquals(0, s2.exit(), s2.both());
            Matcher m = Pattern.compile("installed version 2 \\(v2\\) by delta: downloaded .* \\(([0-9.]+)%\\)")
                    .matcher(s2.out());
            assertTrue(m.find(), s2.out());
            assertTrue(Double.parseDouble(m.group(1)) < 50, "a delta downloads less than the full payload: " + s2.out());
            assertEquals("refunds", topHit(jar.run("search", "--store", store, "how do I get my money back for a return")));

            Jar.Result rb = jar.run("rollback", "--store", store);
            assertEquals(0, rb.exit(), rb.both());
            assertTrue(rb.out().contains("rolled back from version 2 to version 1"), rb.out());
            assertFalse(hits(jar.run("search", "--store", store, "--k", "7", "refund")).contains("refunds"));
            Jar.Result again = jar.run("sync", "--source", url, "--store", store, "--public-key", keys + ".pub");
            assertEquals(0, again.exit(), again.both());
            assertTrue(again.out().contains("version 2 is trusted already (not reinstalled); version 1 serves"), again.out());
            Jar.Result third = jar.run("sync", "--source", url, "--store", store, "--public-key", keys + ".pub");
            assertTrue(third.out().contains("version 2 is trusted already"), "also when the manifest is not modified: "
                    + third.out());

            Jar.Result verified = jar.run("verify", "--store", store);
            assertEquals(0, verified.exit(), verified.both());
            assertTrue(verified.out().contains("as recorded at install"), verified.out());
            assertTrue(verified.out().contains("verified: generation"), verified.out());
            assertTrue(verified.out().contains("signature verified again with key"), verified.out());

            // The kept signature no longer matches: refused in one line; put back, verified again.
            Path sig = dir.resolve("store/sync/manifests/1.json.sig");
            byte[] good = Files.readAllBytes(sig);
            byte[] bad = good.clone();
            bad[bad.length / 2] ^= 1;
            Files.write(sig, bad);
            Jar.Result forged = jar.run("verify", "--store", store);
            assertEquals(1, forged.exit(), forged.both());
            assertEquals(1, forged.errors().strip().lines().count(), forged.both());
            Files.write(sig, good);
            assertEquals(0, jar.run("verify", "--store", store).exit());

            // A flipped byte in the served index is found and named, in one line.
            Path largest = largestFile(dir.resolve("store"));
            byte[] b = Files.readAllBytes(largest);
            b[b.length / 2] ^= 0x10;
            Files.write(largest, b);
            Jar.Result broken = jar.run("verify", "--store", store);
            assertEquals(1, broken.exit(), broken.both());
            assertEquals(1, broken.errors().strip().lines().count(), broken.both());
            assertTrue(broken.errors().contains("checksum"), broken.both());
        } finally {
            server.stop(0);
        }
    }

    @Test
    void reconcileChecksAndRepairsAStoreOnPostgres(@TempDir Path dir) throws Exception {
        requirePostgres();
        String prefix = "cli" + Long.toHexString(System.nanoTime());
        String table = prefix + "_docs";
        String store = POSTGRES_URL + "&nyla.prefix=" + prefix;
        Jar.Result s = jar.run("sync", "--source", siteV1.toString(), "--store", store, "--public-key", keys + ".pub");
        assertEquals(0, s.exit(), s.both());
        assertTrue(s.out().contains("installed version 1"), s.out());
        try (Connection c = DriverManager.getConnection(POSTGRES_URL); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE " + table + " (id text PRIMARY KEY, tenant text NOT NULL, text text NOT NULL, topic text)");
            for (Map.Entry<String, String[]> e : corpus.entrySet()) {
                st.execute("INSERT INTO " + table + " VALUES ('" + e.getKey() + "', '" + e.getValue()[0] + "', '"
                        + e.getValue()[2].replace("'", "''") + "', '" + e.getValue()[1] + "')");
            }
            String query = "SELECT id, text, topic FROM " + table + " WHERE tenant = :tenant";
            String tenants = "SELECT DISTINCT tenant FROM " + table;
            Jar.Result inSync = jar.run("reconcile", "--store", store, "--source", POSTGRES_URL, "--source-query", query,
                    "--tenants-query", tenants, "--check", "--all");
            assertEquals(0, inSync.exit(), inSync.both());
            assertTrue(inSync.out().contains("Tenants in sync: 2"), inSync.out());

            st.execute("UPDATE " + table + " SET text = 'Dark mode\nNow under Settings, Display.' WHERE id = 'dark-mode'");
            st.execute("DELETE FROM " + table + " WHERE id = 'api-keys'");
            st.execute("INSERT INTO " + table + " VALUES ('two-factor', 'default', 'Two-factor sign-in\nAdd an "
                    + "authenticator app to protect your account.', 'account')");
            Jar.Result drift = jar.run("reconcile", "--store", store, "--source", POSTGRES_URL, "--source-query", query,
                    "--tenants-query", tenants, "--check", "--all");
            assertEquals(3, drift.exit(), drift.both());
            String out = drift.out();
            assertTrue(out.contains("Tenant default:\n  - Source records: 5\n  - Store records: 5\n"
                    + "  - Missing from store: 1 (two-factor)\n  - Stale in store: 1 (api-keys)\n  - Changed: 1 (dark-mode)\n"
                    + "  - In sync: false"), out);
            assertTrue(out.contains("Tenants out of sync: 1"), out);

            Jar.Result repaired = jar.run("reconcile", "--store", store, "--source", POSTGRES_URL, "--source-query",
                    query, "--tenants-query", tenants, "--sync", "--all");
            assertEquals(0, repaired.exit(), repaired.both());
            assertTrue(repaired.out().contains("tenant default synced: 2 embedded, 1 inserted, 1 updated, 1 deleted"),
                    repaired.out());
            // One tenant needs no tenants query, even when the records query takes :tenant.
            Jar.Result after = jar.run("reconcile", "--store", store, "--source", POSTGRES_URL, "--source-query", query,
                    "--check", "--tenant", "default");
            assertEquals(0, after.exit(), after.both());
            assertEquals("two-factor", topHit(jar.run("search", "--store", store, "protect my login with an authenticator")));
        } finally {
            try (Connection c = DriverManager.getConnection(POSTGRES_URL); Statement st = c.createStatement()) {
                st.execute("DROP TABLE IF EXISTS " + table);
            }
        }
    }

    @Test
    void importJsonIntoTheEmbeddedDatabase(@TempDir Path dir) throws Exception {
        HashingEmbedder embedder = new HashingEmbedder();
        Path index = dir.resolve("nyla-knowledge-index.json.gz");
        StringBuilder json = new StringBuilder("{\"version\": 3, \"embeddingModel\": \"hashing\", \"chunks\": [");
        String[][] chunks = {{"c1", "How to brew green tea at eighty degrees"}, {"c2", "Winter tyres and snow chains"},
                {"c3", "Repotting a cactus without gloves"}};
        for (int i = 0; i < chunks.length; i++) {
            json.append(i == 0 ? "" : ",").append("{\"id\": \"").append(chunks[i][0]).append("\", \"text\": \"")
                    .append(chunks[i][1]).append("\", \"embedding\": ").append(java.util.Arrays.toString(
                            embedder.embed(chunks[i][1]))).append(", \"metadata\": {\"source\": \"seed\"}}");
        }
        json.append("]}");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(index))) {
            out.write(json.toString().getBytes(StandardCharsets.UTF_8));
        }
        Path site = dir.resolve("site");
        Jar.Result imported = jar.run("import-json", "--in", index.toString(), "--out", site.toString(),
                "--signing-key", keys + ".key", "--model", "hashing");
        assertEquals(0, imported.exit(), imported.both());
        assertTrue(imported.out().contains("read 3 chunks"), imported.out());
        assertTrue(imported.out().contains("3 added"), imported.out());
        assertFalse(imported.out().contains("embedded"), "an import embeds nothing: " + imported.out());

        String store = "jdbc:sqlite:" + dir.resolve("kb.db");
        Jar.Result s = jar.run("sync", "--source", site.toString(), "--store", store, "--public-key", keys + ".pub");
        assertEquals(0, s.exit(), s.both());
        try (Stream<Path> states = Files.list(shared.resolve("home/state"))) {
            assertTrue(states.anyMatch(d -> d.getFileName().toString().startsWith("jdbc_sqlite_")
                            && Files.isRegularFile(d.resolve("cli-client.json"))),
                    "a store without a directory keeps its client state under NYLA_SYNC_HOME");
        }
        assertEquals("c2", topHit(jar.run("search", "--store", store, "snow chains for winter")));
        Jar.Result verified = jar.run("verify", "--store", store);
        assertEquals(0, verified.exit(), verified.both());

        // JavaScript writes NaN as null: refused, naming the chunk, in one line.
        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "{\"chunks\": [{\"id\": \"x1\", \"text\": \"t\", \"embedding\": [null"
                + ", 0.5".repeat(HashingEmbedder.DEFAULT_DIMENSION - 1) + "]}]}");
        Jar.Result refused = jar.run("import-json", "--in", bad.toString(), "--out", dir.resolve("bad-site").toString(),
                "--signing-key", keys + ".key", "--model", "hashing");
        assertEquals(1, refused.exit(), refused.both());
        assertEquals(1, refused.errors().strip().lines().count(), refused.both());
        assertTrue(refused.errors().contains("x1"), refused.both());
        assertFalse(Files.exists(dir.resolve("bad-site/manifest.json")));
    }

    @Test
    void exitCodesAndUsageErrors(@TempDir Path dir) throws Exception {
        Jar.Result missing = jar.run("sync", "--store", "memory:");
        assertEquals(2, missing.exit(), missing.both());
        assertTrue(missing.errors().contains("Missing required options"), missing.both());
        assertTrue(missing.errors().contains("Usage: nyla-sync sync"), missing.both());

        Jar.Result unknown = jar.run("publish", "--corpus", "x", "--out", "y", "--signing-key", "z", "--bogus");
        assertEquals(2, unknown.exit(), unknown.both());
        assertTrue(unknown.errors().contains("Unknown option: '--bogus'"), unknown.both());

        Jar.Result both = jar.run("reconcile", "--store", "memory:", "--source", "x", "--check", "--sync", "--all");
        assertEquals(2, both.exit(), both.both());
        assertTrue(both.errors().contains("mutually exclusive"), both.both());

        Jar.Result duration = jar.run("sync", "--source", "x", "--store", "memory:", "--public-key", "k", "--watch",
                "--interval", "soon");
        assertEquals(2, duration.exit(), duration.both());
        assertTrue(duration.errors().contains("duration 'soon'"), duration.both());

        Jar.Result typo = jar.run("status", "--store", "lucene:" + dir.resolve("no-such-store"));
        assertEquals(1, typo.exit(), typo.both());
        assertTrue(typo.errors().contains("does not exist"), typo.both());
        assertFalse(Files.exists(dir.resolve("no-such-store")), "status must not create a store at a mistyped path");

        Jar.Result scheme = jar.run("status", "--store", "redis://localhost");
        assertEquals(2, scheme.exit(), "a bad value is a usage error: " + scheme.both());
        assertTrue(scheme.errors().startsWith("nyla-sync status: --store 'redis://localhost': no store adapter for "
                + "scheme 'redis'; expected one of "), scheme.both());
        assertTrue(scheme.errors().contains("Usage: nyla-sync status"), scheme.both());

        // A store with version 1; then a source signed by another key: refused in one line, version 1 serves.
        Path site = copy(siteV1, dir.resolve("site"));
        String store = "file:" + dir.resolve("store");
        assertEquals(0, jar.run("sync", "--source", site.toString(), "--store", store, "--public-key", keys + ".pub").exit());
        Path other = dir.resolve("other");
        assertEquals(0, jar.run("keygen", "--out", other.toString()).exit());
        Path forged = dir.resolve("forged");
        Jar.Result p = jar.run("publish", "--corpus", shared.resolve("corpus.jsonl").toString(), "--out", forged.toString(),
                "--signing-key", other + ".key");
        assertEquals(0, p.exit(), p.both());
        Jar.Result refused = jar.run("sync", "--source", forged.toString(), "--store", store, "--public-key", keys + ".pub");
        assertEquals(1, refused.exit(), refused.both());
        assertEquals(1, refused.errors().strip().lines().count(), refused.both());
        assertTrue(refused.errors().contains("expected one of the trusted keys"), refused.both());
        assertTrue(refused.errors().contains("version 1 keeps serving"), refused.both());
        assertTrue(jar.run("status", "--store", store).out().contains("version      1 (kb one)"));

        // Version 2 staged to 0 % of clients, and a manual client without a terminal: exit 4, nothing installed.
        Jar.Result staged = jar.run("publish", "--corpus", shared.resolve("corpus.jsonl").toString(), "--out",
                site.toString(), "--previous", site.toString(), "--signing-key", keys + ".key", "--rollout-percent", "0");
        assertEquals(0, staged.exit(), staged.both());
        Jar.Result notYet = jar.run("sync", "--source", site.toString(), "--store", store, "--public-key", keys + ".pub");
        assertEquals(4, notYet.exit(), notYet.both());
        assertTrue(notYet.out().contains("version 2 not installed: staged to 0% of clients"), notYet.out());
        Jar.Result full = jar.run("publish", "--corpus", shared.resolve("corpus.jsonl").toString(), "--out",
                site.toString(), "--previous", site.toString(), "--signing-key", keys + ".key");
        assertEquals(0, full.exit(), full.both());
        Jar.Result manual = jar.run("sync", "--source", site.toString(), "--store", store, "--public-key", keys + ".pub",
                "--manual");
        assertEquals(4, manual.exit(), manual.both());
        assertTrue(manual.out().contains("update available: version 3"), manual.out());
        Jar.Result installed = jar.run("sync", "--source", site.toString(), "--store", store, "--public-key", keys + ".pub");
        assertEquals(0, installed.exit(), installed.both());
        assertTrue(installed.out().contains("installed version 3"), installed.out());

        Jar.Result again = jar.run("publish", "--corpus", shared.resolve("corpus.jsonl").toString(), "--out",
                site.toString(), "--signing-key", keys + ".key");
        assertEquals(1, again.exit(), again.both());
        assertTrue(again.errors().contains("pass --previous"), again.both());
    }

    @Test
    void watchInstallsEachNewVersion(@TempDir Path dir) throws Exception {
        Path site = copy(siteV1, dir.resolve("site"));
        try (Jar.Running watch = jar.start("sync", "--source", site.toString(), "--store", "file:" + dir.resolve("store"),
                "--public-key", keys + ".pub", "--watch", "--interval", "1s")) {
            watch.await("installed version 1");
            Jar.Result p = jar.run("publish", "--corpus", shared.resolve("corpus.jsonl").toString(), "--out",
                    site.toString(), "--previous", site.toString(), "--signing-key", keys + ".key", "--label", "second");
            assertEquals(0, p.exit(), p.both());
            String line = watch.await("installed version 2");
            assertTrue(line.contains("(second) by delta"), watch.output());
            assertEquals(143, watch.stop(), "SIGTERM ends the JVM with 128 + 15");
        }
        Jar.Result status = jar.run("status", "--store", "file:" + dir.resolve("store"));
        assertTrue(status.out().contains("version      2 (second)"), status.out());
    }

    @Test
    void readingCommandsWorkWhileSyncWatchHoldsTheStoreAndWritersAreToldWhoHoldsIt(@TempDir Path dir) throws Exception {
        Path site = copy(siteV1, dir.resolve("site"));
        String store = "lucene:" + dir.resolve("store");
        Path state = dir.resolve("store").resolve("sync").resolve("sync-state.json");
        try (Jar.Running watch = jar.start("sync", "--source", site.toString(), "--store", store,
                "--public-key", keys + ".pub", "--watch", "--interval", "1h")) {
            // Printed after the run saved its state; with an hour's interval the watch then writes nothing.
            watch.await("installed version 1");
            byte[] saved = Files.readAllBytes(state);
            Jar.Result status = jar.run("status", "--store", store);
            assertEquals(0, status.exit(), status.both());
            assertTrue(status.out().contains("version      1 (kb one)"), status.out());
            assertTrue(status.out().contains("trusted      version 1"), status.out());
            assertArrayEquals(saved, Files.readAllBytes(state), "status must not rewrite the state sync --watch owns");
            assertEquals("password-reset", topHit(jar.run("search", "--store", store, "I forgot my password")));
            Jar.Result verify = jar.run("verify", "--store", store);
            assertEquals(0, verify.exit(), verify.both());
            assertTrue(verify.out().contains("verified: generation"), verify.out());

            Jar.Result rollback = jar.run("rollback", "--store", store);
            assertEquals(1, rollback.exit(), rollback.both());
            assertTrue(rollback.errors().contains("open for writing in another process: pid " + watch.pid()),
                    rollback.both());
            assertTrue(rollback.errors().contains("--watch") && rollback.errors().contains("status, verify and search"),
                    rollback.both());
            assertEquals(143, watch.stop(), "SIGTERM ends the JVM with 128 + 15");
        }
    }

    @Test
    void readingCommandsNeedOnlyReadAccessAndARefusedStoreSaysWhatToDo(@TempDir Path dir) throws Exception {
        Path site = copy(siteV1, dir.resolve("site"));
        Path publicKey = Files.copy(Path.of(keys + ".pub"), dir.resolve("release.pub"));
        Path storeDir = dir.resolve("store");
        String store = "lucene:" + storeDir;
        Jar.Result synced = jar.run("sync", "--source", site.toString(), "--store", store, "--public-key", publicKey.toString());
        assertEquals(0, synced.exit(), synced.both());
        String sqlite = "jdbc:sqlite:" + dir.resolve("vectors.db");
        Jar.Result syncedSqlite = jar.run("sync", "--source", site.toString(), "--store", sqlite, "--public-key",
                publicKey.toString());
        assertEquals(0, syncedSqlite.exit(), syncedSqlite.both());
        // The owner grants read access, no more (state files are written private, 0600).
        List<Path> all;
        try (Stream<Path> walk = Files.walk(dir)) {
            all = walk.toList();
        }
        for (Path p : all) {
            Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString(
                    Files.isDirectory(p) ? "r-xr-xr-x" : "r--r--r--"));
        }
        Path home = Files.createTempDirectory("nyla-nobody");
        try {
            Files.setPosixFilePermissions(home, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
            boolean root = "root".equals(System.getProperty("user.name"));
            // Root ignores file permissions: the commands then run as nobody, who owns nothing here.
            Assumptions.assumeTrue(!root || Files.isExecutable(Path.of("/usr/bin/setpriv")),
                    "running as root without setpriv: no way to run the commands as a user that permissions bind");
            java.util.function.Function<String[], Jar.Result> run = args -> {
                try {
                    return root ? jar.runAsNobody(home, args) : jar.run(args);
                } catch (IOException | InterruptedException e) {
                    throw new AssertionError(e);
                }
            };
            Jar.Result status = run.apply(new String[] {"status", "--store", store});
            assertEquals(0, status.exit(), status.both());
            assertTrue(status.out().contains("version      1 (kb one)"), status.out());
            Jar.Result verify = run.apply(new String[] {"verify", "--store", store});
            assertEquals(0, verify.exit(), verify.both());
            assertEquals("password-reset", topHit(run.apply(new String[] {"search", "--store", store, "I forgot my password"})));

            // SQLite reads a WAL database through a -shm file this user may not create beside it.
            Jar.Result sqliteStatus = run.apply(new String[] {"status", "--store", sqlite});
            assertEquals(0, sqliteStatus.exit(), sqliteStatus.both());
            assertTrue(sqliteStatus.out().contains("version      1 (kb one)"), sqliteStatus.out());
            assertEquals("password-reset", topHit(run.apply(new String[] {"search", "--store", sqlite, "I forgot my password"})));
            Jar.Result sqliteRollback = run.apply(new String[] {"rollback", "--store", sqlite});
            assertEquals(1, sqliteRollback.exit(), sqliteRollback.both());
            assertTrue(sqliteRollback.errors().contains("cannot open the store for writing: permission denied on "),
                    sqliteRollback.both());

            Jar.Result sync = run.apply(new String[] {"sync", "--source", site.toString(), "--store", store,
                    "--public-key", publicKey.toString()});
            assertEquals(1, sync.exit(), sync.both());
            assertTrue(sync.errors().contains("cannot open the store for writing: permission denied on " + storeDir),
                    sync.both());
            assertTrue(sync.errors().contains("status, verify and search need only read access"), sync.both());

            Files.setPosixFilePermissions(storeDir.resolve("CURRENT"),
                    java.nio.file.attribute.PosixFilePermissions.fromString("r--------"));
            Jar.Result refused = run.apply(new String[] {"status", "--store", store});
            assertEquals(1, refused.exit(), refused.both());
            assertTrue(refused.errors().contains("cannot open the store for reading: permission denied on "
                    + storeDir.resolve("CURRENT")), refused.both());
            assertTrue(refused.errors().contains("ask for read access"), refused.both());
            assertFalse(refused.errors().contains("AccessDeniedException"), refused.both());
        } finally {
            for (Path p : all) {
                Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            }
            try (Stream<Path> walk = Files.walk(home)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    @Test
    void ctrlCOnAOneShotSyncSaysWhatItInterruptedAndTheNextSyncResumes(@TempDir Path dir) throws Exception {
        Path site = copy(siteV1, dir.resolve("site"));
        String store = "file:" + dir.resolve("store");
        CountDownLatch stalled = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        // A host whose payload download stalls half-way until the test lets it go: the sync is surely in
        // its download when it is stopped.
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/", exchange -> {
            String name = exchange.getRequestURI().getPath().substring(1);
            Path file = site.resolve(name);
            if (name.isEmpty() || name.contains("/") || !Files.isRegularFile(file)) {
                exchange.sendResponseHeaders(404, -1);
                exchange.close();
                return;
            }
            byte[] bytes = Files.readAllBytes(file);
            exchange.sendResponseHeaders(200, bytes.length);
            try (OutputStream body = exchange.getResponseBody()) {
                int from = 0;
                if (name.startsWith("records-")) {
                    from = bytes.length / 2;
                    body.write(bytes, 0, from);
                    body.flush();
                    stalled.countDown();
                    release.await(5, TimeUnit.MINUTES);
                }
                body.write(bytes, from, bytes.length - from);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException clientGone) {
                // the sync was stopped
            }
        });
        server.start();
        try (Jar.Running sync = jar.start("sync", "--source", "http://127.0.0.1:" + server.getAddress().getPort() + "/",
                "--store", store, "--public-key", keys + ".pub")) {
            sync.await("download 0%");
            assertTrue(stalled.await(5, TimeUnit.MINUTES), "the payload download started");
            // SIGTERM; Ctrl-C's SIGINT runs the same shutdown hook (and exits with 130).
            assertEquals(143, sync.stop());
            String line = sync.await("interrupted while");
            assertTrue(line.matches("interrupted while downloading version 1: records-.* \\(.* of .*\\); nothing is "
                    + "installed yet, and the next sync resumes the download"), sync.output());
            assertEquals(List.of(), sync.remaining(), "the interruption's line is the last: " + sync.output());
        } finally {
            release.countDown();
            server.stop(0);
        }
        Jar.Result resumed = jar.run("sync", "--source", site.toString(), "--store", store, "--public-key", keys + ".pub");
        assertEquals(0, resumed.exit(), resumed.both());
        assertTrue(resumed.out().contains("installed version 1"), resumed.out());
    }

    @Test
    void ctrlCOnAnIdleWatchSaysNoRunWasInProgress(@TempDir Path dir) throws Exception {
        Path site = copy(siteV1, dir.resolve("site"));
        try (Jar.Running watch = jar.start("sync", "--source", site.toString(), "--store", "file:" + dir.resolve("store"),
                "--public-key", keys + ".pub", "--watch", "--interval", "1h")) {
            watch.await("installed version 1");
            assertEquals(143, watch.stop());
            watch.await("stopping: no sync run in progress; saving the client state");
            watch.remaining();
            assertFalse(watch.output().contains("abort"), watch.output());
        }
    }

    @Test
    void demoRunsToCompletion(@TempDir Path dir) throws Exception {
        Jar.Result demo = jar.run("demo", "--docs", PROJECT.toString(), "--workdir", dir.resolve("demo").toString());
        assertEquals(0, demo.exit(), demo.both());
        String out = demo.out();
        assertTrue(out.contains("all-MiniLM-L6-v2"), out);
        assertTrue(out.contains("into a Lucene store"), out);
        assertTrue(out.contains("installed version 1"), out);
        assertTrue(Pattern.compile("delta: downloaded .* of a .* full payload").matcher(out).find(), out);
        assertTrue(out.contains("edited manifest -> refused: BadSignatureException"), out);
        assertTrue(out.contains("rolled back to version 1"), out);
    }

    // ---- helpers

    private static void writeCorpus(Map<String, String[]> records, Path file) throws IOException {
        List<String> lines = new ArrayList<>();
        records.forEach((id, v) -> lines.add("{\"id\": \"" + id + "\", \"tenant\": \"" + v[0] + "\", \"text\": \""
                + v[2].replace("\n", "\\n") + "\", \"metadata\": {\"topic\": \"" + v[1] + "\"}}"));
        Files.write(file, lines);
    }

    private static List<String> hits(Jar.Result r) {
        assertEquals(0, r.exit(), r.both());
        return r.out().lines().filter(l -> l.matches("-?\\d+\\.\\d{4}  .*")).map(l -> l.split("\\s+")[1]).toList();
    }

    private static String topHit(Jar.Result r) {
        List<String> ids = hits(r);
        assertFalse(ids.isEmpty(), r.both());
        return ids.get(0);
    }

    private static Path copy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> s = Files.list(from)) {
            for (Path p : s.toList()) {
                Files.copy(p, to.resolve(p.getFileName()));
            }
        }
        return to;
    }

    private static Path largestFile(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).filter(p -> !p.toString().contains("/sync/"))
                    .max(Comparator.comparingLong(p -> p.toFile().length())).orElseThrow();
        }
    }

    private static void requirePostgres() {
        try (Connection c = DriverManager.getConnection(POSTGRES_URL)) {
            assertTrue(c.isValid(5));
        } catch (SQLException e) {
            String message = "PostgreSQL at " + POSTGRES_URL.replaceAll("password=[^&]*", "password=***")
                    + " does not answer (" + e.getMessage() + "); ./nyla test starts it when its software is installed, "
                    + "./nyla servers start starts it by hand";
            if ("1".equals(System.getenv("NYLA_CI_REQUIRE_SERVERS"))) {
                fail(message + " — NYLA_CI_REQUIRE_SERVERS=1 demands it");
            }
            Assumptions.abort(message);
        }
    }
}
