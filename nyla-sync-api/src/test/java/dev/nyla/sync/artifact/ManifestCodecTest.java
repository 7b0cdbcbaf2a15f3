package dev.nyla.sync.artifact;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.Similarity;
import dev.nyla.sync.TestData;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
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

    @Test
    void aFloat32ManifestHasTheBytesOfFormat1AsReleasesBeforeFloat16WroteThem() throws Exception {
        // Written by the release before float16 support, from the same sample: clients of every release read it.
        byte[] golden;
        try (var in = ManifestCodecTest.class.getResourceAsStream("format1-sample-manifest.json")) {
            golden = in.readAllBytes();
        }
        assertEquals(new String(golden, StandardCharsets.UTF_8), json());
        assertEquals(VectorEncoding.F32, read(json()).vectorEncoding());
    }

    @Test
    void aFloat16ManifestIsFormat2AndDeclaresItsEncodingAfterTheModel() throws ArtifactException {
        Manifest m = withEncoding(VectorEncoding.F16);
        String text = new String(ManifestCodec.write(m), StandardCharsets.UTF_8);
        assertTrue(text.startsWith("{\n  \"formatVersion\" : 2,\n"), text);
        assertTrue(text.contains("\"fingerprint\" : \"test-fingerprint-384-cosine\"\n  },\n  \"vectorEncoding\" : \"f16\",\n"
                + "  \"payload\" : {"), text);
        assertEquals(m, read(text));
        // Apart from those two lines, the bytes of the float32 manifest.
        assertEquals(json(), text.replace("\"formatVersion\" : 2", "\"formatVersion\" : 1")
                .replace("  \"vectorEncoding\" : \"f16\",\n", ""));
    }

    @Test
    void anUnknownVectorEncodingIsUnsupportedAndAMissingOneInFormat2IsMalformed() {
        String f16 = new String(ManifestCodec.write(withEncoding(VectorEncoding.F16)), StandardCharsets.UTF_8);
        UnsupportedFormatException e = assertThrows(UnsupportedFormatException.class,
                () -> read(f16.replace("\"f16\"", "\"bf16\"")));
        assertTrue(e.getMessage().contains("vectorEncoding") && e.actual().equals("'bf16'"), e.getMessage());
        MalformedArtifactException missing = assertThrows(MalformedArtifactException.class,
                () -> read(f16.replace("  \"vectorEncoding\" : \"f16\",\n", "")));
        assertTrue(missing.getMessage().contains("vectorEncoding") && missing.actual().equals("missing"),
                missing.getMessage());
    }

    @Test
    void format1CannotDeclareFloat16BecauseEarlierClientsIgnoreTheField() throws ArtifactException {
        String f16 = new String(ManifestCodec.write(withEncoding(VectorEncoding.F16)), StandardCharsets.UTF_8);
        String asFormat1 = f16.replace("\"formatVersion\" : 2", "\"formatVersion\" : 1");
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
        String json = json().replace("\"dimension\" : 384,", "");
        MalformedArtifactException e = assertThrows(MalformedArtifactException.class, () -> read(json));
        assertTrue(e.getMessage().contains("model.dimension"), e.getMessage());
        assertEquals("missing", e.actual());
    }

    @Test
    void aWrongTypeIsNamedWithExpectedAndActual() {
        String json = json().replace("\"version\" : 7", "\"version\" : \"seven\"");
        MalformedArtifactException e = assertThrows(MalformedArtifactException.class, () -> read(json));
        assertEquals("an integer", e.expected());
        assertTrue(e.actual().contains("seven"), e.actual());
    }

    @Test
    void duplicateKeysAreRefused() {
        String json = json().replace("\"version\" : 7,", "\"version\" : 7, \"version\" : 8,");
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
        String json = json().replace("\"createdAt\" : \"2026-11-21T10:00:00Z\"", "\"createdAt\" : \"2026-11-21T11:00:00+01:00\"");
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
        String json = json().replace("\"uncompressedSize\" : 150", "\"uncompressedSize\" : 9223372036854775807");
        MalformedArtifactException e = assertThrows(MalformedArtifactException.class, () -> read(json));
        assertTrue(e.getMessage().contains("uncompressedSize"), e.getMessage());
    }

    @Test
    void unknownCompressionIsUnsupported() {
        String json = json().replace("\"compression\" : \"gzip\"", "\"compression\" : \"zstd\"");
        UnsupportedFormatException e = assertThrows(UnsupportedFormatException.class, () -> read(json));
        assertTrue(e.getMessage().contains("compression"), e.getMessage());
    }

    @Test
    void crossFieldRulesAreChecked() {
        assertThrows(MalformedArtifactException.class,
                () -> read(json().replace("\"expiresAt\" : \"2026-11-22T10:00:00Z\"", "\"expiresAt\" : \"2026-11-20T10:00:00Z\"")));
        assertThrows(MalformedArtifactException.class, () -> read(json().replace("\"fromVersion\" : 6", "\"fromVersion\" : 7")));
        assertThrows(MalformedArtifactException.class, () -> read(json().replace("\"percent\" : 25", "\"percent\" : 101")));
        assertThrows(MalformedArtifactException.class, () -> read(json().replace("\"sha256\" : \"" + SHA_B, "\"sha256\" : \"XYZ")));
        assertThrows(MalformedArtifactException.class, () -> read(json().replace("\"createdAt\" : \"2026-11-21T10:00:00Z\"",
                "\"createdAt\" : \"yesterday\"")));
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
        assertEquals(sample(), read(text.replaceFirst("\"counts\"", "\"nativePayloads\" : [ ],\n  \"counts\"")));
    }

    @Test
    void nativePayloadsAreReadAsStrictlyAsThePayload() {
        String json = new String(ManifestCodec.write(withNative(List.of(nativePayload("index", SHA_C)))),
                StandardCharsets.UTF_8);
        UnsafeFileNameException unsafe = assertThrows(UnsafeFileNameException.class,
                () -> read(json.replace("index-" + SHA_C + ".bin", "../index.bin")));
        assertTrue(unsafe.getMessage().contains("nativePayloads[0].files[0].name"), unsafe.getMessage());
        MalformedArtifactException missing = assertThrows(MalformedArtifactException.class,
                () -> read(json.replace("\"kind\" : \"index\",", "")));
        assertTrue(missing.getMessage().contains("nativePayloads[0].kind"), missing.getMessage());
        MalformedArtifactException noFiles = assertThrows(MalformedArtifactException.class,
                () -> read(json.replaceFirst("(?s)(\"nativePayloads\".*?\"files\" : )\\[.*?\\]", "$1[ ]")));
        assertTrue(noFiles.getMessage().contains("nativePayloads[0].files"), noFiles.getMessage());
        assertThrows(UnsupportedFormatException.class,
                () -> read(json.replace("\"compression\" : \"none\",\n          \"uncompressedSize\" : 42",
                        "\"compression\" : \"zstd\",\n          \"uncompressedSize\" : 42")));
        String withNull = json().replaceFirst("\"counts\"", "\"nativePayloads\" : null,\n  \"counts\"");
        assertTrue(assertThrows(MalformedArtifactException.class, () -> read(withNull)).getMessage()
                .contains("nativePayloads"));
        String notArray = json().replaceFirst("\"counts\"", "\"nativePayloads\" : { },\n  \"counts\"");
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
                () -> read(json.replace("\"kind\" : \"index\"", "\"kind\" : \"records\"")));
        assertTrue(e.getMessage().startsWith("https://cdn/manifest.json"), e.getMessage());
        MalformedArtifactException notRecords = assertThrows(MalformedArtifactException.class,
                () -> read(json().replace("\"kind\" : \"records\"", "\"kind\" : \"lucene\"")));
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
}
