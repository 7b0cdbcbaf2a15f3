package dev.nyla.sync.artifact.internal;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nyla.sync.ArtifactException;
import dev.nyla.sync.ContentHash;
import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.MalformedArtifactException;
import dev.nyla.sync.Similarity;
import dev.nyla.sync.TestData;
import dev.nyla.sync.UnsafeFileNameException;
import dev.nyla.sync.UnsupportedFormatException;
import dev.nyla.sync.VectorEncoding;
import dev.nyla.sync.artifact.Delta;
import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.artifact.Rollout;
import dev.nyla.sync.publish.Publisher;
import dev.nyla.sync.store.Compression;
import dev.nyla.sync.store.Payload;
import dev.nyla.sync.store.PayloadFile;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ManifestCodecTest {
    static final String SHA_A = "a".repeat(64);
    static final String SHA_B = "b".repeat(64);

    static Manifest sample() {
        Instant created = Instant.parse("2026-11-21T10:00:00Z");
        return new Manifest(1, "stable", 7, "v7", created, created.plusSeconds(86_400),
                TestData.model(384, Similarity.COSINE), VectorEncoding.F32,
                new Payload(Payload.RECORDS, Map.of("z", "1", "a", "2"), List.of(
                        new PayloadFile("records-" + SHA_A + ".nyr.gz", 100, SHA_A, Compression.GZIP, 150),
                        new PayloadFile("records-" + SHA_B + ".nyr", 150, SHA_B, Compression.NONE, 150))),
                List.of(), 1000, 3,
                List.of(new Delta(6, 10, 2, List.of(new PayloadFile("delta-6-" + SHA_A + ".nyr.gz", 9, SHA_A, Compression.GZIP, 20)))),
                new Rollout(25, "salty"));
    }

    private static String json() {
        return new String(ManifestCodec.write(sample()), StandardCharsets.UTF_8);
    }

    private static Manifest read(String json) throws ArtifactException {
        return ManifestCodec.read(json.getBytes(StandardCharsets.UTF_8), "https://cdn/manifest.json");
    }

    @Test
    void roundTripsAndWritesTheSameBytesEveryTime() throws ArtifactException {
        Manifest m = sample();
        byte[] bytes = ManifestCodec.write(m);
        assertEquals(m, ManifestCodec.read(bytes, "m"));
        assertArrayEquals(bytes, ManifestCodec.write(ManifestCodec.read(bytes, "m")));
        String text = new String(bytes, StandardCharsets.UTF_8);
        assertFalse(text.contains("\r"), "line ends are \\n on every platform");
        assertTrue(text.indexOf("\"a\"") < text.indexOf("\"z\""), "attributes are sorted");
    }

    @Test
    void unknownFieldsAreIgnoredSoTheFormatCanGrow() throws ArtifactException {
        String json = json().replaceFirst("\\{", "{\"someFutureField\": {\"x\": [1, 2]},");
        assertEquals(sample(), read(json));
    }

    @Test
    void malformedJsonNamesTheSourceAndPosition() {
        MalformedArtifactException e = assertThrows(MalformedArtifactException.class, () -> read("{\"formatVersion\": 1,"));
        assertTrue(e.getMessage().startsWith("https://cdn/manifest.json: not valid JSON"), e.getMessage());
        assertTrue(e.getMessage().contains("line"), e.getMessage());
        assertThrows(MalformedArtifactException.class, () -> read("[1, 2]"));
        assertThrows(MalformedArtifactException.class, () -> read(json() + "{}"));
        assertThrows(MalformedArtifactException.class, () -> read(""));
    }

    @Test
    void aNewerFormatVersionIsUnsupportedNotMalformed() {
        UnsupportedFormatException e = assertThrows(UnsupportedFormatException.class,
                () -> read("{\"formatVersion\": 3, \"everything\": \"different\"}"));
        assertEquals("3", e.actual());
        assertTrue(e.getMessage().contains("too old"), e.getMessage());
        assertTrue(e.getMessage().contains("formatVersion"), e.getMessage());
    }

    /** The sample with its vectors in {@code encoding}, in the format a publisher writes for it. */
    static Manifest withEncoding(VectorEncoding encoding) {
        Manifest m = sample();
        return new Manifest(Manifest.formatVersionFor(encoding), m.channel(), m.version(), m.label(), m.createdAt(),
                m.expiresAt(), m.model(), encoding, m.payload(), m.nativePayloads(), m.records(), m.tenants(), m.deltas(),
                m.rollout());
    }

    /** {@code json} without whitespace between tokens, as Jackson writes it by default. */
    private static String compact(String json) throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        return mapper.writeValueAsString(mapper.readTree(json));
    }

    @Test
    void writesCompactJsonWithOneFinalLineEnd() throws Exception {
        String text = json();
        assertEquals(compact(text) + "\n", text, "no whitespace between tokens");
        assertTrue(text.startsWith("{\"formatVersion\":1,\"channel\":\"stable\",\"version\":7,"), text);
        assertEquals(text.length() - 1, text.indexOf('\n'), "one line end, the last byte");
    }

    @Test
    void whitespaceAroundTokensAndAfterTheObjectIsIgnoredOnRead() throws Exception {
        assertEquals(sample(), read(json() + "\n \t\r\n"));
        assertEquals(sample(), read(" \n" + json()));
        // Pretty printed, as releases before compact writing published every manifest.
        assertEquals(sample(), read(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(
                new ObjectMapper().readTree(json()))));
    }

    @Test
    void aFloat32ManifestIsFormat1WithTheFieldsAndOrderOfReleasesBeforeFloat16() throws Exception {
        // Written by the release before float16 support, from the same sample (pretty printed, as releases wrote
        // manifests until they became compact): clients of every release read it, and what this release writes
        // differs from it only in whitespace.
        String golden;
        try (var in = ManifestCodecTest.class.getResourceAsStream("format1-sample-manifest.json")) {
            golden = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertEquals(compact(golden) + "\n", json());
        assertEquals(sample(), read(golden));
        assertEquals(VectorEncoding.F32, read(json()).vectorEncoding());
    }

    @Test
    void aFloat16ManifestIsFormat2AndDeclaresItsEncodingAfterTheModel() throws ArtifactException {
        Manifest m = withEncoding(VectorEncoding.F16);
        String text = new String(ManifestCodec.write(m), StandardCharsets.UTF_8);
        assertTrue(text.startsWith("{\"formatVersion\":2,"), text);
        assertTrue(text.contains("\"fingerprint\":\"test-fingerprint-384-cosine\"},\"vectorEncoding\":\"f16\","
                + "\"payload\":{"), text);
        assertEquals(m, read(text));
        // Apart from those two fields, the bytes of the float32 manifest.
        assertEquals(json(), text.replace("\"formatVersion\":2", "\"formatVersion\":1")
                .replace("\"vectorEncoding\":\"f16\",", ""));
    }

    @Test
    void anUnknownVectorEncodingIsUnsupportedAndAMissingOneInFormat2IsMalformed() {
        String f16 = new String(ManifestCodec.write(withEncoding(VectorEncoding.F16)), StandardCharsets.UTF_8);
        UnsupportedFormatException e = assertThrows(UnsupportedFormatException.class,
                () -> read(f16.replace("\"f16\"", "\"bf16\"")));
        assertTrue(e.getMessage().contains("vectorEncoding") && e.actual().equals("'bf16'"), e.getMessage());
        MalformedArtifactException missing = assertThrows(MalformedArtifactException.class,
                () -> read(f16.replace("\"vectorEncoding\":\"f16\",", "")));
        assertTrue(missing.getMessage().contains("vectorEncoding") && missing.actual().equals("missing"),
                missing.getMessage());
    }

    @Test
    void format1CannotDeclareFloat16BecauseEarlierClientsIgnoreTheField() throws ArtifactException {
        String f16 = new String(ManifestCodec.write(withEncoding(VectorEncoding.F16)), StandardCharsets.UTF_8);
        String asFormat1 = f16.replace("\"formatVersion\":2", "\"formatVersion\":1");
        MalformedArtifactException e = assertThrows(MalformedArtifactException.class, () -> read(asFormat1));
        assertTrue(e.getMessage().contains("format version") && e.getMessage().contains("f16"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Manifest(1, "stable", 1, "", Instant.EPOCH,
                Instant.EPOCH.plusSeconds(1), sample().model(), VectorEncoding.F16, sample().payload(), List.of(), 0, 0,
                List.of(), new Rollout(100, "s")));
        // Format 1 naming float32 says what the absence says; format 2 may carry float32 too.
        assertEquals(sample(), read(asFormat1.replace("\"f16\"", "\"f32\"")));
        assertEquals(VectorEncoding.F32, read(f16.replace("\"f16\"", "\"f32\"")).vectorEncoding());
    }

    @Test
    void aMissingFieldIsNamedWithItsPath() {
        String json = json().replace("\"dimension\":384,", "");
        MalformedArtifactException e = assertThrows(MalformedArtifactException.class, () -> read(json));
        assertTrue(e.getMessage().contains("model.dimension"), e.getMessage());
        assertEquals("missing", e.actual());
    }

    @Test
    void aWrongTypeIsNamedWithExpectedAndActual() {
        String json = json().replace("\"version\":7", "\"version\":\"seven\"");
        MalformedArtifactException e = assertThrows(MalformedArtifactException.class, () -> read(json));
        assertEquals("an integer", e.expected());
        assertTrue(e.actual().contains("seven"), e.actual());
    }

    @Test
    void duplicateKeysAreRefused() {
        String json = json().replace("\"version\":7,", "\"version\":7,\"version\":8,");
        MalformedArtifactException e = assertThrows(MalformedArtifactException.class, () -> read(json));
        assertTrue(e.getMessage().contains("Duplicate field"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"../../etc/passwd", "/etc/passwd", "a/b.nyr", "..", ".hidden", "a\\\\b", "C:x", "x y"})
    void hostileFileNamesAreRefused(String name) {
        String json = json().replace("records-" + SHA_B + ".nyr\"", name + "\"");
        UnsafeFileNameException e = assertThrows(UnsafeFileNameException.class, () -> read(json));
        assertTrue(e.getMessage().contains("payload.files[1].name"), e.getMessage());
    }

    @Test
    void instantsMustBeUtcWithAZ() {
        String json = json().replace("\"createdAt\":\"2026-11-21T10:00:00Z\"", "\"createdAt\":\"2026-11-21T11:00:00+01:00\"");
        MalformedArtifactException e = assertThrows(MalformedArtifactException.class, () -> read(json));
        assertTrue(e.getMessage().contains("createdAt"), e.getMessage());
    }

    @Test
    void onlyUtf8WithoutAByteOrderMarkIsAccepted() {
        byte[] utf8 = ManifestCodec.write(sample());
        byte[] bom = new byte[utf8.length + 3];
        bom[0] = (byte) 0xEF;
        bom[1] = (byte) 0xBB;
        bom[2] = (byte) 0xBF;
        System.arraycopy(utf8, 0, bom, 3, utf8.length);
        assertThrows(MalformedArtifactException.class, () -> ManifestCodec.read(bom, "m"));
        byte[] utf16 = new String(utf8, StandardCharsets.UTF_8).getBytes(StandardCharsets.UTF_16LE);
        MalformedArtifactException e = assertThrows(MalformedArtifactException.class, () -> ManifestCodec.read(utf16, "m"));
        assertTrue(e.getMessage().contains("UTF-8"), e.getMessage());
    }

    @Test
    void attributesAreWrittenInCodePointOrder() throws Exception {
        Manifest m = sample();
        Manifest withAttributes = new Manifest(1, m.channel(), m.version(), m.label(), m.createdAt(), m.expiresAt(),
                m.model(), m.vectorEncoding(), new Payload(Payload.RECORDS, Map.of("\uFF5E", "1", "\uD83D\uDE00", "2", "b", "3"),
                m.payload().files()), m.nativePayloads(), m.records(), m.tenants(), m.deltas(), m.rollout());
        var attributes = new com.fasterxml.jackson.databind.ObjectMapper().readTree(ManifestCodec.write(withAttributes))
                .get("payload").get("attributes");
        List<String> order = new java.util.ArrayList<>();
        attributes.fieldNames().forEachRemaining(order::add);
        assertEquals(List.of("b", "\uFF5E", "\uD83D\uDE00"), order, "code-point order, not UTF-16 order");
    }

    @Test
    void absurdFileSizesAreRefused() {
        String json = json().replace("\"uncompressedSize\":150", "\"uncompressedSize\":9223372036854775807");
        MalformedArtifactException e = assertThrows(MalformedArtifactException.class, () -> read(json));
        assertTrue(e.getMessage().contains("uncompressedSize"), e.getMessage());
    }

    @Test
    void unknownCompressionIsUnsupported() {
        String json = json().replace("\"compression\":\"gzip\"", "\"compression\":\"zstd\"");
        UnsupportedFormatException e = assertThrows(UnsupportedFormatException.class, () -> read(json));
        assertTrue(e.getMessage().contains("compression"), e.getMessage());
    }

    @Test
    void crossFieldRulesAreChecked() {
        assertThrows(MalformedArtifactException.class,
                () -> read(json().replace("\"expiresAt\":\"2026-11-22T10:00:00Z\"", "\"expiresAt\":\"2026-11-20T10:00:00Z\"")));
        assertThrows(MalformedArtifactException.class, () -> read(json().replace("\"fromVersion\":6", "\"fromVersion\":7")));
        assertThrows(MalformedArtifactException.class, () -> read(json().replace("\"percent\":25", "\"percent\":101")));
        assertThrows(MalformedArtifactException.class, () -> read(json().replace("\"sha256\":\"" + SHA_B, "\"sha256\":\"XYZ")));
        assertThrows(MalformedArtifactException.class, () -> read(json().replace("\"createdAt\":\"2026-11-21T10:00:00Z\"",
                "\"createdAt\":\"yesterday\"")));
    }

    static final String SHA_C = "c".repeat(64);

    /** The sample with a store-native alternative of kind {@code index} beside the records. */
    static Manifest withNative(List<Payload> nativePayloads) {
        Manifest m = sample();
        return new Manifest(1, m.channel(), m.version(), m.label(), m.createdAt(), m.expiresAt(), m.model(),
                m.vectorEncoding(), m.payload(), nativePayloads, m.records(), m.tenants(), m.deltas(), m.rollout());
    }

    static Payload nativePayload(String kind, String... shas) {
        List<PayloadFile> files = new java.util.ArrayList<>();
        for (String sha : shas) {
            files.add(new PayloadFile(kind + "-" + sha + ".bin", 42, sha, Compression.NONE, 42));
        }
        return new Payload(kind, Map.of("indexVersion", "10"), files);
    }

    @Test
    void nativePayloadsRoundTripAndAreFoundByKind() throws ArtifactException {
        Manifest m = withNative(List.of(nativePayload("index", SHA_A, SHA_C), nativePayload("other", SHA_B)));
        byte[] bytes = ManifestCodec.write(m);
        Manifest read = ManifestCodec.read(bytes, "m");
        assertEquals(m, read);
        assertArrayEquals(bytes, ManifestCodec.write(read));
        assertEquals(2, read.nativePayload("index").orElseThrow().files().size());
        assertEquals("10", read.nativePayload("other").orElseThrow().attributes().get("indexVersion"));
        assertTrue(read.nativePayload("lucene").isEmpty());
        String text = new String(bytes, StandardCharsets.UTF_8);
        assertTrue(text.indexOf("\"payload\"") < text.indexOf("\"nativePayloads\"")
                && text.indexOf("\"nativePayloads\"") < text.indexOf("\"counts\""), text);
    }

    @Test
    void aManifestWithoutNativePayloadsHasNoSuchFieldSoItsBytesDoNotChange() throws ArtifactException {
        String text = json();
        assertFalse(text.contains("nativePayloads"), text);
        assertTrue(read(text).nativePayloads().isEmpty());
        assertEquals(sample(), read(text.replaceFirst("\"counts\"", "\"nativePayloads\":[],\"counts\"")));
    }

    @Test
    void nativePayloadsAreReadAsStrictlyAsThePayload() {
        String json = new String(ManifestCodec.write(withNative(List.of(nativePayload("index", SHA_C)))),
                StandardCharsets.UTF_8);
        UnsafeFileNameException unsafe = assertThrows(UnsafeFileNameException.class,
                () -> read(json.replace("index-" + SHA_C + ".bin", "../index.bin")));
        assertTrue(unsafe.getMessage().contains("nativePayloads[0].files[0].name"), unsafe.getMessage());
        MalformedArtifactException missing = assertThrows(MalformedArtifactException.class,
                () -> read(json.replace("\"kind\":\"index\",", "")));
        assertTrue(missing.getMessage().contains("nativePayloads[0].kind"), missing.getMessage());
        MalformedArtifactException noFiles = assertThrows(MalformedArtifactException.class,
                () -> read(json.replaceFirst("(\"nativePayloads\".*?\"files\":)\\[.*?\\]", "$1[]")));
        assertTrue(noFiles.getMessage().contains("nativePayloads[0].files"), noFiles.getMessage());
        assertThrows(UnsupportedFormatException.class,
                () -> read(json.replace("\"compression\":\"none\",\"uncompressedSize\":42",
                        "\"compression\":\"zstd\",\"uncompressedSize\":42")));
        String withNull = json().replaceFirst("\"counts\"", "\"nativePayloads\":null,\"counts\"");
        assertTrue(assertThrows(MalformedArtifactException.class, () -> read(withNull)).getMessage()
                .contains("nativePayloads"));
        String notArray = json().replaceFirst("\"counts\"", "\"nativePayloads\":{},\"counts\"");
        assertThrows(MalformedArtifactException.class, () -> read(notArray));
    }

    @Test
    void nativePayloadKindsAreDistinctAndNeverRecordsAndThePayloadIsAlwaysRecords() {
        IllegalArgumentException records = assertThrows(IllegalArgumentException.class,
                () -> withNative(List.of(nativePayload(Payload.RECORDS, SHA_C))));
        assertTrue(records.getMessage().contains("records"), records.getMessage());
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
                () -> withNative(List.of(nativePayload("index", SHA_C), nativePayload("index", SHA_B))));
        assertTrue(twice.getMessage().contains("'index'"), twice.getMessage());
        assertThrows(IllegalArgumentException.class, () -> withNative(List.of(nativePayload("index", SHA_C, SHA_C))));

        // Read from JSON, the same rules are malformed manifests naming the source.
        String json = new String(ManifestCodec.write(withNative(List.of(nativePayload("index", SHA_C)))),
                StandardCharsets.UTF_8);
        MalformedArtifactException e = assertThrows(MalformedArtifactException.class,
                () -> read(json.replace("\"kind\":\"index\"", "\"kind\":\"records\"")));
        assertTrue(e.getMessage().startsWith("https://cdn/manifest.json"), e.getMessage());
        MalformedArtifactException notRecords = assertThrows(MalformedArtifactException.class,
                () -> read(json().replace("\"kind\":\"records\"", "\"kind\":\"lucene\"")));
        assertTrue(notRecords.getMessage().contains("nativePayloads"), notRecords.getMessage());
    }

    @Test
    void oneFileNameMeansTheSameBytesEverywhereInTheManifest() {
        Payload clash = new Payload("index", Map.of(), List.of(
                new PayloadFile("records-" + SHA_B + ".nyr", 151, SHA_B, Compression.NONE, 151)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> withNative(List.of(clash)));
        assertTrue(e.getMessage().contains("records-" + SHA_B + ".nyr"), e.getMessage());
        // The same file in two places is fine: it is one download.
        Payload shared = new Payload("index", Map.of(), List.of(sample().payload().files().get(1)));
        assertEquals(shared, withNative(List.of(shared)).nativePayload("index").orElseThrow());
    }

    @Test
    void aManifestWithTheDefaultDeltaWindowStaysWithin4KiB() throws ArtifactException {
        // Version 1,234 of 20,000 records as the publisher writes it with the default window: the full payload
        // gzip and plain, one gzip delta from each of the ten versions before, 64-hex names and hashes, and
        // sizes in the millions, so that every number and name has the length it has on a real site.
        long version = 1234;
        List<Delta> deltas = new ArrayList<>();
        for (int k = 1; k <= Publisher.DEFAULT_DELTA_WINDOW; k++) {
            String sha = ContentHash.sha256Hex(("delta " + k).getBytes(StandardCharsets.UTF_8));
            deltas.add(new Delta(version - k, 2_000L * k, 150L * k, List.of(new PayloadFile(
                    "delta-" + (version - k) + "-" + sha + ".nyr.gz", 1_234_567L * k, sha, Compression.GZIP,
                    3_456_789L * k))));
        }
        String gz = ContentHash.sha256Hex("full gzip".getBytes(StandardCharsets.UTF_8));
        String plain = ContentHash.sha256Hex("full plain".getBytes(StandardCharsets.UTF_8));
        Instant created = Instant.parse("2026-11-21T10:00:00Z");
        Manifest m = new Manifest(2, "stable", version, "docs 2026-11-21", created, created.plusSeconds(30 * 86_400),
                new EmbeddingModel("all-MiniLM-L6-v2", 384, Similarity.COSINE, true,
                        ContentHash.sha256Hex("model".getBytes(StandardCharsets.UTF_8))), VectorEncoding.F16,
                new Payload(Payload.RECORDS, Map.of(), List.of(
                        new PayloadFile("records-" + gz + ".nyr.gz", 29_412_345, gz, Compression.GZIP, 32_412_345),
                        new PayloadFile("records-" + plain + ".nyr", 32_412_345, plain, Compression.NONE, 32_412_345))),
                List.of(), 20_000, 12, deltas, new Rollout(100, "5d1c0a3b9e2f4471"));

        byte[] bytes = ManifestCodec.write(m);

        assertTrue(bytes.length <= 4096, bytes.length + " bytes");
        assertEquals(m, ManifestCodec.read(bytes, "m"));
    }
}
