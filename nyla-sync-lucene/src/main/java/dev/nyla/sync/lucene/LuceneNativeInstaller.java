package dev.nyla.sync.lucene;

import dev.nyla.sync.UnsupportedFormatException;
import dev.nyla.sync.nativepayload.NativeInstall;
import dev.nyla.sync.nativepayload.NativeInstaller;
import dev.nyla.sync.store.GenerationSpec;
import dev.nyla.sync.store.Payload;
import dev.nyla.sync.store.PayloadFile;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.lucene.codecs.Codec;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.util.Version;

/** Installs {@value LucenePayloadFormat#KIND} payloads into a {@link LuceneVectorStore}. */
final class LuceneNativeInstaller implements NativeInstaller {
    private final LuceneVectorStore store;

    LuceneNativeInstaller(LuceneVectorStore store) {
        this.store = store;
    }

    @Override
    public String kind() {
        return LucenePayloadFormat.KIND;
    }

    @Override
    public void checkReadable(Payload payload, String where) throws UnsupportedFormatException {
        String at = where + ": payload " + payload.kind();
        String schema = payload.attributes().getOrDefault(LucenePayloadFormat.ATTR_SCHEMA, "");
        if (!Schema.VERSION.equals(schema)) {
            throw new UnsupportedFormatException(at, LucenePayloadFormat.ATTR_SCHEMA, Schema.VERSION,
                    schema.isEmpty() ? "nothing" : "'" + schema + "' (a newer nyla-sync wrote it)");
        }
        Version written = version(payload, LucenePayloadFormat.ATTR_LUCENE_VERSION, at);
        if (written.major > Version.LATEST.major) {
            throw new UnsupportedFormatException(at, LucenePayloadFormat.ATTR_LUCENE_VERSION,
                    "an index this client's Lucene " + Version.LATEST + " reads (major version at most "
                            + Version.LATEST.major + ")", written);
        }
        int created = integer(payload, LucenePayloadFormat.ATTR_CREATED_MAJOR, at);
        if (created < Version.MIN_SUPPORTED_MAJOR || created > Version.LATEST.major) {
            throw new UnsupportedFormatException(at, LucenePayloadFormat.ATTR_CREATED_MAJOR,
                    Version.MIN_SUPPORTED_MAJOR + ".." + Version.LATEST.major + " (what Lucene " + Version.LATEST
                            + " with backward codecs reads)", created);
        }
        Set<String> codecs = Codec.availableCodecs();
        for (String codec : list(payload, LucenePayloadFormat.ATTR_CODECS, at)) {
            if (!codecs.contains(codec)) {
                throw new UnsupportedFormatException(at, "Lucene codec", "one of " + codecs
                        + " (this client's Lucene " + Version.LATEST + ")", codec);
            }
        }
        Set<String> formats = KnnVectorsFormat.availableKnnVectorsFormats();
        for (String format : list(payload, LucenePayloadFormat.ATTR_VECTOR_FORMATS, at)) {
            if (!formats.contains(format)) {
                throw new UnsupportedFormatException(at, "Lucene vector format", "one of " + formats, format);
            }
        }
    }

    @Override
    public List<PayloadFile> missingFiles(Payload payload) throws IOException {
        Map<String, String> names = PayloadNames.indexFileNames(payload, store.location());
        Map<String, java.nio.file.Path> held = store.reusableFiles(PayloadNames.wantedSha256(payload, names));
        return payload.files().stream().filter(f -> !held.containsKey(names.get(f.name()))).toList();
    }

    @Override
    public NativeInstall begin(GenerationSpec spec, Payload payload, boolean reuseLocalFiles) throws IOException {
        checkReadable(payload, store.location());
        return new LuceneNativeInstall(store, spec, payload, reuseLocalFiles);
    }

    private static Version version(Payload p, String key, String at) throws UnsupportedFormatException {
        String v = p.attributes().get(key);
        try {
            return Version.parse(v);
        } catch (java.text.ParseException | RuntimeException e) {
            throw new UnsupportedFormatException(at, key, "a Lucene version such as 10.6.0", "'" + v + "'");
        }
    }

    private static int integer(Payload p, String key, String at) throws UnsupportedFormatException {
        String v = p.attributes().get(key);
        try {
            return Integer.parseInt(v);
        } catch (RuntimeException e) {
            throw new UnsupportedFormatException(at, key, "an integer", "'" + v + "'");
        }
    }

    private static List<String> list(Payload p, String key, String at) throws UnsupportedFormatException {
        String v = p.attributes().get(key);
        if (v == null || v.isBlank()) {
            throw new UnsupportedFormatException(at, key, "a comma-separated list", "nothing");
        }
        return List.of(v.split(","));
    }
}
