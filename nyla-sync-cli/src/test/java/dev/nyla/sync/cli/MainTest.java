package dev.nyla.sync.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.artifact.internal.ManifestEdits;
import dev.nyla.sync.artifact.SigningKeys;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {
    @TempDir
    Path dir;

    private record Result(int exit, String out, String err) {
    }

    private static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(exit, out.toString(), err.toString());
    }

    @Test
    void keygenWritesAKeyPairThatLoadsBack() throws IOException {
        Result r = run("keygen", "--out", dir.resolve("release").toString());
        assertEquals(0, r.exit(), r.err());
        var keys = SigningKeys.readKeyPair(dir.resolve("release.key"));
        assertEquals(keys.getPublic(), SigningKeys.readPublicKey(dir.resolve("release.pub")));
        assertTrue(r.out().contains(SigningKeys.keyId(keys.getPublic())), r.out());
    }

    @Test
    void keygenRefusesToOverwriteWithOneLine() {
        assertEquals(0, run("keygen", "--out", dir.resolve("k").toString()).exit());
        Result again = run("keygen", "--out", dir.resolve("k").toString());
        assertEquals(1, again.exit());
        assertEquals(1, again.err().strip().lines().count(), again.err());
        assertTrue(again.err().contains("k.key"), again.err());
    }

    /** A file: store holding version 1 of a small corpus embedded with the hashing model. */
    private String storeWithVersionOne() throws IOException {
        return storeWithVersionOne("hashing");
    }

    /** A file: store holding version 1 of a small corpus embedded with {@code model} (a {@code --model} value). */
    private String storeWithVersionOne(String model) throws IOException {
        Files.write(dir.resolve("corpus.jsonl"), java.util.List.of(
                "{\"id\": \"tea\", \"text\": \"Brewing green tea at eighty degrees\"}",
                "{\"id\": \"tyres\", \"text\": \"Winter tyres and snow chains for the car\"}",
                "{\"id\": \"cactus\", \"text\": \"Repotting a cactus without gloves\"}"));
        assertEquals(0, run("keygen", "--out", dir.resolve("k").toString()).exit());
        Result p = run("publish", "--corpus", dir.resolve("corpus.jsonl").toString(), "--out", dir.resolve("site").toString(),
                "--signing-key", dir.resolve("k.key").toString(), "--model", model);
        assertEquals(0, p.exit(), p.err());
        String store = "file:" + dir.resolve("store");
        Result s = run("sync", "--source", dir.resolve("site").toString(), "--store", store, "--public-key",
                dir.resolve("k.pub").toString(), "--state-dir", dir.resolve("state").toString(), "--model", model);
        assertEquals(0, s.exit(), s.err());
        return store;
    }

    @Test
    void theQuantizedModelPublishesAndSearchFindsItByTheStoresModelId() throws IOException {
        String store = storeWithVersionOne("quantized");
        // No --model: the store's vectors name all-MiniLM-L6-v2-q, which the command line bundles.
        Result found = run("search", "--store", store, "--k", "1", "how hot should the water be for tea");
        assertEquals(0, found.exit(), found.err());
        assertTrue(found.out().contains("tea") && !found.out().contains("tyres") && !found.out().contains("cactus"),
                found.out());
        // The float model is another model: the guard refuses it for these vectors.
        Result refused = run("search", "--store", store, "--model", "default", "tea");
        assertNotEquals(0, refused.exit(), refused.out());
        assertTrue(refused.err().contains("all-MiniLM-L6-v2-q"), refused.err());
    }

    @Test
    void rotateKeyMovesAClientPinningTheOldKeyToTheNewOneAndRevokesTheOld() throws IOException {
        String store = storeWithVersionOne();
        String site = dir.resolve("site").toString();
        assertEquals(0, run("keygen", "--out", dir.resolve("k2").toString()).exit());
        String oldId = SigningKeys.keyId(SigningKeys.readPublicKey(dir.resolve("k.pub")));
        String newId = SigningKeys.keyId(SigningKeys.readPublicKey(dir.resolve("k2.pub")));

        Result nothing = run("rotate-key", "--site", site, "--signing-key", dir.resolve("k.key").toString());
        assertEquals(2, nothing.exit(), nothing.err());
        Result rotated = run("rotate-key", "--site", site, "--signing-key", dir.resolve("k.key").toString(), "--new-key",
                dir.resolve("k2.key").toString(), "--revoke", oldId);
        assertEquals(0, rotated.exit(), rotated.err());
        assertTrue(rotated.out().contains("key document 1") && rotated.out().contains("keys:      " + newId + " ")
                && rotated.out().contains("revoked:   " + oldId), rotated.out());
        // The revoked key signs nothing more, not even a key document.
        Result again = run("rotate-key", "--site", site, "--signing-key", dir.resolve("k.key").toString(), "--new-key",
                dir.resolve("k.key").toString());
        assertEquals(2, again.exit(), again.out());
        assertTrue(again.err().contains("key " + oldId + " was revoked in key document 1"), again.err());
        assertFalse(Files.exists(dir.resolve("site/keys-2.json")));

        String[] publish = {"publish", "--corpus", dir.resolve("corpus.jsonl").toString(), "--out", site, "--previous",
                site, "--signing-key", dir.resolve("k2.key").toString(), "--model", "hashing"};
        Result unvouched = run(publish);
        assertEquals(1, unvouched.exit(), unvouched.out());
        assertTrue(unvouched.err().contains(oldId), unvouched.err());
        Result published = run(java.util.stream.Stream.concat(java.util.Arrays.stream(publish),
                java.util.stream.Stream.of("--trust-previous-key", dir.resolve("k.pub").toString())).toArray(String[]::new));
        assertEquals(0, published.exit(), published.err());

        // The client still pins only k.pub.
        Result synced = run("sync", "--source", site, "--store", store, "--public-key", dir.resolve("k.pub").toString(),
                "--state-dir", dir.resolve("state").toString());
        assertEquals(0, synced.exit(), synced.err() + synced.out());
        Result verified = run("verify", "--store", store, "--state-dir", dir.resolve("state").toString());
        assertEquals(0, verified.exit(), verified.err());
        assertTrue(verified.out().contains("manifest: version 2") && verified.out().contains(
                "signature verified again with the keys of key document 1 [" + newId + "]"), verified.out());
    }

    @Test
    void searchAnswersEveryQueryOfAFileUnderItsOwnHeading() throws IOException {
        String store = storeWithVersionOne();
        Path queries = dir.resolve("queries.txt");
        Files.writeString(queries, "snow chains\n\n  green tea  \ncactus gloves\n");
        Result r = run("search", "--store", store, "--k", "1", "--queries", queries.toString());
        assertEquals(0, r.exit(), r.err());
        assertEquals("""
                query: snow chains
                tyres
                
                query: green tea
                tea
                
                query: cactus gloves
                cactus
                """, r.out().replaceAll("(?m)^-?\\d+\\.\\d{4}  (\\S+)  .*$", "$1"), r.out());

        // The words of the arguments are one query, as before, printed without a heading; with a file, it comes first.
        Result one = run("search", "--store", store, "--k", "1", "green", "tea");
        assertTrue(one.out().matches("-?\\d+\\.\\d{4}  tea  Brewing green tea at eighty degrees\\R"), one.out());
        Result both = run("search", "--store", store, "--k", "1", "--queries", queries.toString(), "winter", "tyres");
        assertTrue(both.out().startsWith("query: winter tyres\n"), both.out());
        assertEquals(4, both.out().lines().filter(l -> l.startsWith("query: ")).count(), both.out());
    }

    @Test
    void publishCompactRewritesTheLucenePayloadIntoOneSegmentAndNeedsIt() throws IOException {
        Path corpus = dir.resolve("corpus.jsonl");
        assertEquals(0, run("keygen", "--out", dir.resolve("k").toString()).exit());
        String[] publish = {"publish", "--corpus", corpus.toString(), "--out", dir.resolve("site").toString(),
                "--signing-key", dir.resolve("k.key").toString(), "--model", "hashing", "--payload", "lucene"};
        for (int v = 1; v <= 3; v++) {
            // 30 records, one of them edited in each version: a small change to a larger index.
            java.util.List<String> lines = new java.util.ArrayList<>();
            for (int i = 0; i < 30; i++) {
                lines.add("{\"id\": \"doc-" + i + "\", \"text\": \"Paragraph " + i + (i == v ? ", edited" : "") + "\"}");
            }
            Files.write(corpus, lines);
            String[] args = v == 1 ? publish : java.util.stream.Stream.concat(java.util.Arrays.stream(publish),
                    java.util.stream.Stream.of("--previous", dir.resolve("site").toString())).toArray(String[]::new);
            assertEquals(0, run(args).exit());
        }
        assertEquals("3", luceneSegments(), "version 3 built on 2 on 1: a small segment each, deletions in the older");

        Files.write(corpus, java.util.List.of("{\"id\": \"doc-0\", \"text\": \"Paragraph 0\"}"));
        Result compacted = run(java.util.stream.Stream.concat(java.util.Arrays.stream(publish), java.util.stream.Stream.of(
                "--previous", dir.resolve("site").toString(), "--compact")).toArray(String[]::new));
        assertEquals(0, compacted.exit(), compacted.err());
        assertEquals("1", luceneSegments());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("lucene payload: (.+) full, (.+) new since").matcher(
                compacted.out());
        assertTrue(m.find() && m.group(1).equals(m.group(2)), "a compacted payload is all new: " + compacted.out());

        Result records = run("publish", "--corpus", corpus.toString(), "--out", dir.resolve("other").toString(),
                "--signing-key", dir.resolve("k.key").toString(), "--model", "hashing", "--compact");
        assertEquals(2, records.exit(), records.err());
        assertTrue(records.err().contains("--compact: rewrites the Lucene payload, so it needs --payload lucene"),
                records.err());
        assertFalse(Files.exists(dir.resolve("other")), "nothing written");
    }

    private String luceneSegments() throws IOException {
        Path file = dir.resolve("site").resolve(dev.nyla.sync.artifact.Manifest.FILE_NAME);
        return dev.nyla.sync.artifact.internal.ManifestCodec.read(Files.readAllBytes(file), file.toString())
                .nativePayload("lucene").orElseThrow().attributes().get("lucene.segments");
    }

    @Test
    void searchWithoutAQueryOrWithAnEmptyQueriesFileIsAUsageError() throws IOException {
        String store = storeWithVersionOne();
        Result none = run("search", "--store", store);
        assertEquals(2, none.exit(), none.err());
        assertTrue(none.err().contains("expected a query: the words after the options, or --queries <file|->"), none.err());
        Path empty = Files.writeString(dir.resolve("empty.txt"), "\n  \n");
        Result blank = run("search", "--store", store, "--queries", empty.toString());
        assertEquals(2, blank.exit(), blank.err());
        assertTrue(blank.err().contains("--queries " + empty + ": expected one query a line but the file has none"), blank.err());
    }

    @Test
    void publishWithF16VectorsWritesAFormat2ManifestThatSyncInstalls() throws IOException {
        Files.write(dir.resolve("corpus.jsonl"), java.util.List.of(
                "{\"id\": \"tea\", \"text\": \"Brewing green tea at eighty degrees\"}",
                "{\"id\": \"tyres\", \"text\": \"Winter tyres and snow chains for the car\"}"));
        assertEquals(0, run("keygen", "--out", dir.resolve("k").toString()).exit());
        String[] publish = {"publish", "--corpus", dir.resolve("corpus.jsonl").toString(), "--out",
                dir.resolve("site").toString(), "--signing-key", dir.resolve("k.key").toString(), "--model", "hashing",
                "--vector-encoding", "f16"};
        Result p = run(publish);
        assertEquals(0, p.exit(), p.err());
        assertTrue(p.out().contains(" uncompressed), f16 vectors (manifest format 2)"), p.out());
        var manifest = dev.nyla.sync.artifact.internal.Artifacts.fetchVerifiedManifest(
                new dev.nyla.sync.artifact.DirectoryArtifactSource(dir.resolve("site")),
                java.util.List.of(SigningKeys.readPublicKey(dir.resolve("k.pub"))));
        assertEquals(dev.nyla.sync.VectorEncoding.F16, manifest.vectorEncoding());
        Result s = run("sync", "--source", dir.resolve("site").toString(), "--store", "file:" + dir.resolve("store"),
                "--public-key", dir.resolve("k.pub").toString(), "--state-dir", dir.resolve("state").toString());
        assertEquals(0, s.exit(), s.err());

        publish[publish.length - 1] = "f8";
        Result bad = run(publish);
        assertEquals(2, bad.exit(), bad.err());
        assertTrue(bad.err().contains("--vector-encoding: expected f32 or f16 but was 'f8'"), bad.err());
    }

    @Test
    void anUnknownStoreSchemeIsAUsageErrorInEveryCommandThatTakesAStore() {
        String[][] commands = {{"status"}, {"verify"}, {"rollback"}, {"search", "a query"},
                {"sync", "--source", dir.toString(), "--public-key", "k.pub"},
                {"reconcile", "--source", "x.jsonl", "--check", "--all"}};
        for (String[] command : commands) {
            String[] args = java.util.stream.Stream.concat(java.util.Arrays.stream(command),
                    java.util.stream.Stream.of("--store", "redis://localhost?password=secret")).toArray(String[]::new);
            Result r = run(args);
            assertEquals(2, r.exit(), String.join(" ", command) + ": " + r.err());
            assertTrue(r.err().startsWith("nyla-sync " + command[0] + ": --store 'redis://localhost?password=***': no store "
                    + "adapter for scheme 'redis'; expected one of "), r.err());
            assertTrue(r.err().contains("lucene:"), r.err());
        }
        Result noScheme = run("status", "--store", "/srv/kb");
        assertEquals(2, noScheme.exit(), noScheme.err());
        assertTrue(noScheme.err().contains("--store '/srv/kb': expected <scheme>:<where>, one of "), noScheme.err());
    }

    @Test
    void demoRunsTheWholeLoopOnADocsDirectory() throws IOException {
        Path project = dir.resolve("project");
        Files.createDirectories(project.resolve("docs"));
        Files.writeString(project.resolve("README.md"), "# Demo project\n\nRun the tests with the launcher.\n\n"
                + "## Install\n\nCopy the jar.\n");
        Files.writeString(project.resolve("docs/guide.md"), "# Guide\n\n## Manifest\n\nThe manifest records the version.\n\n"
                + "## Signatures\n\nA bad signature is refused.\n");
        Result r = run("demo", "--docs", project.toString(), "--workdir", dir.resolve("work").toString(), "--model", "hashing");
        assertEquals(0, r.exit(), r.err() + r.out());
        String out = r.out();
        assertTrue(out.contains("installed version 1"), out);
        assertTrue(out.contains("up to date, nothing downloaded"), out);
        assertTrue(out.contains("embedder called for 2 texts"), out);
        assertTrue(out.contains("version 2 now serving"), out);
        assertTrue(out.contains("edited manifest -> refused: BadSignatureException"), out);
        assertTrue(out.contains("one flipped payload bit -> refused:"), out);
        assertTrue(out.contains("still serving version 2"), out);
        assertTrue(out.contains("rolled back to version 1"), out);
        assertTrue(Files.exists(dir.resolve("work/site/manifest.json")));
    }

    @Test
    void demoRefusesToEmptyADirectoryItDidNotMake() throws IOException {
        Path precious = Files.createDirectories(dir.resolve("precious"));
        Files.writeString(precious.resolve("thesis.txt"), "years of work");
        Path project = Files.createDirectories(dir.resolve("p"));
        Files.writeString(project.resolve("README.md"), "# P\n\ntext\n");
        Result r = run("demo", "--docs", project.toString(), "--workdir", precious.toString(), "--model", "hashing");
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("refusing to empty"), r.err());
        assertEquals("years of work", Files.readString(precious.resolve("thesis.txt")));
        // A directory an earlier demo made is emptied and reused.
        Path reused = dir.resolve("reused");
        assertEquals(0, run("demo", "--docs", project.toString(), "--workdir", reused.toString(), "--model", "hashing").exit());
        assertEquals(0, run("demo", "--docs", project.toString(), "--workdir", reused.toString(), "--model", "hashing").exit());
    }

    @Test
    void demoWithoutDocumentsFailsWithOneClearLine() {
        Result r = run("demo", "--docs", dir.resolve("empty").toString(), "--workdir", dir.resolve("w").toString());
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("no README.md or docs/*.md"), r.err());
    }
    /** A docs tree as projects have them: every format read, and files that are not documents. */
    private Path mixedCorpus() throws IOException {
        Path docs = Files.createDirectories(dir.resolve("docs/guide"));
        Files.writeString(docs.resolve("install.rst"), "Installing\n==========\n\nRun the installer.\n\nOn Linux\n--------\n\nUse the package.\n");
        Files.writeString(docs.resolve("config.html"), "<html><head><title>Configuration</title></head><body><nav>Home</nav>"
                + "<h1>Configuration</h1><p>Settings live in tool.toml.</p><h2>Limits</h2><p>At most ten.</p></body></html>");
        Files.writeString(docs.resolve("deploy.adoc"), "= Deploying\n\nShip the image.\n\n== Rolling back\n\nRun the old image.\n");
        Files.writeString(dir.resolve("docs/README.md"), "# Tool\n\nA tool.\n\n## Usage\n\nRun it.\n");
        Files.writeString(dir.resolve("docs/NOTES.txt"), "Plain notes.\n");
        Files.writeString(dir.resolve("docs/conf.py"), "project = 'tool'\n");
        Files.write(dir.resolve("docs/guide/logo.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G'});
        return dir.resolve("docs");
    }

    @Test
    void publishReadsEveryDocumentFormatAndListsTheFilesItDoesNotRead() throws Exception {
        assertEquals(0, run("keygen", "--out", dir.resolve("release").toString()).exit());
        Path docs = mixedCorpus();
        Path site = dir.resolve("site");
        Result r = run("publish", "--corpus", docs.toString(), "--out", site.toString(), "--signing-key",
                dir.resolve("release.key").toString(), "--model", "hashing");
        assertEquals(0, r.exit(), r.err() + r.out());
        assertTrue(r.out().contains("corpus " + docs + ": 9 chunks from 5 documents in 1 tenant"), r.out());
        assertTrue(r.out().contains("not read: 2 files of other types (read: .md .markdown .txt .rst .html .htm .adoc "
                + ".asciidoc): conf.py, guide/logo.png"), r.out());

        var manifest = dev.nyla.sync.artifact.internal.Artifacts.fetchVerifiedManifest(new dev.nyla.sync.artifact.DirectoryArtifactSource(site),
                java.util.List.of(SigningKeys.readPublicKey(dir.resolve("release.pub"))));
        java.util.Map<String, String> published = new java.util.TreeMap<>();
        var source = new dev.nyla.sync.artifact.DirectoryArtifactSource(site);
        try (var reader = dev.nyla.sync.artifact.internal.Artifacts.openRecordFile(source,
                dev.nyla.sync.artifact.internal.Artifacts.preferredEncoding(manifest.payload().files()), manifest.model().dimension(),
                manifest.vectorEncoding())) {
            for (var e = reader.next(); e.isPresent(); e = reader.next()) {
                var record = ((dev.nyla.sync.internal.RecordEntry.Upsert) e.get()).record();
                published.put(record.id(), record.text());
            }
        }
        assertEquals(java.util.Map.of(
                "NOTES.txt#p1", "NOTES\n\nPlain notes.",
                "README.md#tool", "Tool\n\nA tool.",
                "README.md#tool/usage", "Tool > Usage\n\nRun it.",
                "guide/config.html#configuration", "Configuration\n\nSettings live in tool.toml.",
                "guide/config.html#configuration/limits", "Configuration > Limits\n\nAt most ten.",
                "guide/deploy.adoc#deploying", "Deploying\n\nShip the image.",
                "guide/deploy.adoc#deploying/rolling-back", "Deploying > Rolling back\n\nRun the old image.",
                "guide/install.rst#installing", "Installing\n\nRun the installer.",
                "guide/install.rst#installing/on-linux", "Installing > On Linux\n\nUse the package."), published);
    }

    @Test
    void publishWritesADeltaFromEachVersionOfTheWindow() throws IOException {
        assertEquals(0, run("keygen", "--out", dir.resolve("k").toString()).exit());
        Path corpus = dir.resolve("corpus.jsonl");
        String site = dir.resolve("site").toString();
        String[] last = null;
        for (int v = 1; v <= 3; v++) {
            Files.write(corpus, java.util.List.of("{\"id\": \"tea\", \"text\": \"Brewing green tea, edition " + v + "\"}",
                    "{\"id\": \"cactus\", \"text\": \"Repotting a cactus without gloves\"}"));
            last = v == 1 ? new String[] {"publish", "--corpus", corpus.toString(), "--out", site, "--signing-key",
                    dir.resolve("k.key").toString(), "--model", "hashing"}
                    : new String[] {"publish", "--corpus", corpus.toString(), "--out", site, "--previous", site,
                    "--signing-key", dir.resolve("k.key").toString(), "--model", "hashing"};
            Result r = run(last);
            assertEquals(0, r.exit(), r.err());
            if (v == 3) {
                assertTrue(r.out().contains("delta from version 2: "), r.out());
                assertTrue(r.out().contains("; 1 more, from version 1: up to "), r.out());
            }
        }
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of(last));
        args.addAll(java.util.List.of("--delta-window", "0"));
        Result none = run(args.toArray(String[]::new));
        assertEquals(0, none.exit(), none.err());
        assertTrue(none.out().contains("delta: none (--delta-window 0); clients install in full"), none.out());

        args.set(args.size() - 1, "101");
        Result bad = run(args.toArray(String[]::new));
        assertEquals(2, bad.exit(), bad.out());
        assertTrue(bad.err().contains("--delta-window: expected 0..100 but was 101"), bad.err());
    }

    @Test
    void publishRefusesADirectoryWithoutDocumentsAndWritesNothing() throws IOException {
        assertEquals(0, run("keygen", "--out", dir.resolve("release").toString()).exit());
        Path docs = Files.createDirectories(dir.resolve("rst-less"));
        for (int i = 0; i < 7; i++) {
            Files.writeString(docs.resolve("page" + i + ".rest"), "Title\n=====\n\ntext\n");
        }
        Path site = dir.resolve("site");
        Result r = run("publish", "--corpus", docs.toString(), "--out", site.toString(), "--signing-key",
                dir.resolve("release.key").toString(), "--model", "hashing");
        assertEquals(1, r.exit(), r.out());
        assertTrue(r.out().contains("corpus " + docs + ": 0 chunks from 0 documents in 0 tenants"), r.out());
        assertTrue(r.out().contains("not read: 7 files of other types (read: .md .markdown .txt .rst .html .htm .adoc "
                + ".asciidoc): page0.rest, page1.rest, page2.rest, page3.rest, page4.rest and 2 more"), r.out());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("nothing to publish") && r.err().contains("nothing was written"), r.err());
        assertFalse(Files.exists(site), "no site directory, no manifest, no version 1");
        // The empty version 1 that used to be written made --previous necessary afterwards; not so now.
        Files.writeString(docs.resolve("page0.rst"), "Title\n=====\n\ntext\n");
        Result again = run("publish", "--corpus", docs.toString(), "--out", site.toString(), "--signing-key",
                dir.resolve("release.key").toString(), "--model", "hashing");
        assertEquals(0, again.exit(), again.err());
        assertTrue(again.out().contains("published version 1"), again.out());
    }

    @Test
    void pruneKeepsTheNewestVersionsFilesDryRunFirstAndRefusesBadOptionsAndATamperedHistory() throws IOException {
        assertEquals(0, run("keygen", "--out", dir.resolve("release").toString()).exit());
        Path site = dir.resolve("site");
        Path corpus = dir.resolve("corpus.jsonl");
        for (int v = 1; v <= 3; v++) {
            Files.writeString(corpus, "{\"id\": \"a\", \"text\": \"Green tea, edition " + v + "\"}\n"
                    + "{\"id\": \"b\", \"text\": \"Winter tyres\"}\n");
            java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("publish", "--corpus", corpus.toString(),
                    "--out", site.toString(), "--signing-key", dir.resolve("release.key").toString(), "--model", "hashing"));
            if (v > 1) {
                args.addAll(java.util.List.of("--previous", site.toString()));
            }
            Result p = run(args.toArray(String[]::new));
            assertEquals(0, p.exit(), p.err());
        }
        Files.writeString(site.resolve("index.html"), "<h1>kb</h1>");
        var v1 = dev.nyla.sync.artifact.internal.ManifestCodec.read(Files.readAllBytes(site.resolve("history/1.json")), "version 1");
        java.util.Set<String> before;
        try (var files = Files.list(site)) {
            before = files.map(f -> f.getFileName().toString()).collect(java.util.stream.Collectors.toSet());
        }

        Result one = run("prune", "--site", site.toString(), "--keep", "1", "--public-key", dir.resolve("release.pub").toString());
        assertEquals(2, one.exit(), one.err());
        assertTrue(one.err().startsWith("nyla-sync prune: --keep: expected at least 2 (the current version and the previous "
                + "one, which clients may still be downloading) but was 1"), one.err());
        Result keyless = run("prune", "--site", site.toString(), "--keep", "2");
        assertEquals(2, keyless.exit(), keyless.err());
        assertTrue(keyless.err().contains("--public-key <file> (repeatable) or --signing-key <file>"), keyless.err());

        Result dry = run("prune", "--site", site.toString(), "--keep", "2", "--dry-run", "--public-key",
                dir.resolve("release.pub").toString());
        assertEquals(0, dry.exit(), dry.err());
        assertTrue(dry.out().contains("dry run, nothing deleted: " + site + ": keeping the 2 newest versions"), dry.out());
        assertTrue(dry.out().contains("kept versions: 2, 3 ("), dry.out());
        assertTrue(dry.out().contains("would remove versions: 1\n"), dry.out());
        assertTrue(dry.out().contains("would delete: 2 files, "), dry.out());
        for (var f : v1.payload().files()) {
            assertTrue(dry.out().contains("  " + f.name() + "\n"), dry.out());
            assertTrue(Files.exists(site.resolve(f.name())), f.name());
        }

        Result pruned = run("prune", "--site", site.toString(), "--keep", "2", "--signing-key",
                dir.resolve("release.key").toString());
        assertEquals(0, pruned.exit(), pruned.err());
        assertTrue(pruned.out().contains("removed versions: 1\n"), pruned.out());
        assertTrue(pruned.out().contains("deleted: 2 files, "), pruned.out());
        java.util.Set<String> after;
        try (var files = Files.list(site)) {
            after = files.map(f -> f.getFileName().toString()).collect(java.util.stream.Collectors.toSet());
        }
        java.util.Set<String> expected = new java.util.HashSet<>(before);
        v1.payload().files().forEach(f -> expected.remove(f.name()));
        assertEquals(expected, after);
        assertFalse(Files.exists(site.resolve("history/1.json")));

        Path entry = site.resolve("history/2.json");
        ManifestEdits.set(entry, "/counts/records", 3);
        Result tampered = run("prune", "--site", site.toString(), "--keep", "2", "--public-key",
                dir.resolve("release.pub").toString());
        assertEquals(1, tampered.exit(), tampered.err());
        assertEquals(1, tampered.err().strip().lines().count(), tampered.err());
        assertTrue(tampered.err().startsWith("nyla-sync prune: " + entry + ": "), tampered.err());
    }

    @Test
    void reconcileWithACorpusOfNoRecordsListsWhatItDidNotReadAndChangesNothing() throws IOException {
        String store = storeWithVersionOne();
        Path pictures = Files.createDirectories(dir.resolve("pictures"));
        Files.writeString(pictures.resolve("tea.png"), "not a document");
        Result sync = run("reconcile", "--source", pictures.toString(), "--store", store, "--sync", "--all",
                "--model", "hashing");
        assertEquals(1, sync.exit(), sync.out());
        assertTrue(sync.out().contains("not read: 1 file of other types"), sync.out());
        assertTrue(sync.err().contains("would delete every record") && sync.err().contains("nothing was changed"),
                sync.err());
        // Still all three records: the check against the real corpus finds the store in sync.
        Result check = run("reconcile", "--source", dir.resolve("corpus.jsonl").toString(), "--store", store, "--check",
                "--all");
        assertEquals(0, check.exit(), check.out());
        assertTrue(check.out().contains("Store records: 3"), check.out());
        // --check only reports: every stored record is stale against nothing.
        Result report = run("reconcile", "--source", pictures.toString(), "--store", store, "--check", "--all");
        assertEquals(3, report.exit(), report.out());
        assertTrue(report.out().contains("not read: 1 file of other types"), report.out());
    }
}
