package dev.nyla.sync.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * A real English text corpus that is on every JDK machine without a download: the javadoc paragraphs of
 * {@code java.base} in the JDK's own {@code lib/src.zip}, in a fixed order (entry name, then position). Short
 * technical paragraphs on many topics, which is what a knowledge base's chunks look like.
 */
final class CorpusTexts {
    private static final Pattern JAVADOC = Pattern.compile("/\\*\\*(.*?)\\*/", Pattern.DOTALL);
    private static final Pattern INLINE_TAG = Pattern.compile("\\{@\\w+\\s+([^}]*)}");
    private static final Pattern HTML = Pattern.compile("<[^>]{1,80}>");
    private static final Pattern PARAGRAPH = Pattern.compile("(?i)<p>|\\n\\s*\\n");
    static final int MIN_CHARS = 80;
    static final int MAX_CHARS = 1000;

    private CorpusTexts() {
    }

    /** The JDK source archive the corpus comes from. */
    static Path source() {
        return Path.of(System.getProperty("java.home"), "lib", "src.zip");
    }

    /**
     * The first {@code count} distinct paragraphs.
     *
     * @throws IllegalStateException when this JDK has no {@code src.zip} or it holds fewer paragraphs
     */
    static List<String> paragraphs(int count) throws IOException {
        Path zip = source();
        if (!Files.isRegularFile(zip)) {
            throw new IllegalStateException("the MiniLM benchmark corpus is the javadoc in " + zip
                    + ", which this JDK lacks; run with a JDK that ships its sources (Temurin does)");
        }
        Set<String> out = new LinkedHashSet<>();
        try (ZipFile z = new ZipFile(zip.toFile())) {
            List<? extends ZipEntry> entries = z.stream()
                    .filter(e -> e.getName().startsWith("java.base/java/") && e.getName().endsWith(".java"))
                    .sorted(Comparator.comparing(ZipEntry::getName)).toList();
            for (ZipEntry e : entries) {
                String source;
                try (InputStream in = z.getInputStream(e)) {
                    source = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
                Matcher m = JAVADOC.matcher(source);
                while (m.find()) {
                    for (String p : paragraphsOf(m.group(1))) {
                        out.add(p);
                        if (out.size() == count) {
                            return new ArrayList<>(out);
                        }
                    }
                }
            }
        }
        throw new IllegalStateException(zip + " holds " + out.size() + " javadoc paragraphs of " + MIN_CHARS + ".."
                + MAX_CHARS + " characters, fewer than the " + count + " asked for");
    }

    private static List<String> paragraphsOf(String comment) {
        StringBuilder body = new StringBuilder();
        for (String line : comment.split("\n")) {
            String l = line.strip();
            if (l.startsWith("*")) {
                l = l.substring(1).strip();
            }
            if (l.startsWith("@")) {
                break; // block tags (@param, @return, ...): not prose
            }
            body.append(l).append('\n');
        }
        List<String> out = new ArrayList<>();
        for (String p : PARAGRAPH.split(body)) {
            String text = HTML.matcher(INLINE_TAG.matcher(p).replaceAll("$1")).replaceAll("")
                    .replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
                    .replaceAll("\\s+", " ").strip();
            if (text.length() >= MIN_CHARS && text.length() <= MAX_CHARS && !text.contains("Copyright")) {
                out.add(text);
            }
        }
        return out;
    }
}
