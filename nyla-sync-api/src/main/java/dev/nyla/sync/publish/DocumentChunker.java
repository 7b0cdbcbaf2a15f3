package dev.nyla.sync.publish;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits documents into chunks with stable anchors: an edit inside one section changes that section's
 * chunk only, so an incremental publication re-embeds only what was edited.
 */
final class DocumentChunker {
    private static final Pattern ATX_HEADING = Pattern.compile("^ {0,3}(#{1,6})[ \\t]+(.*?)[ \\t]*#*[ \\t]*$");
    private static final Pattern FENCE = Pattern.compile("^ {0,3}(```|~~~)");

    record Chunk(String anchor, String title, String text) {
    }

    private DocumentChunker() {
    }

    static List<Chunk> markdown(String text, int maxChars) {
        List<Chunk> out = new ArrayList<>();
        Set<String> anchorsSeen = new HashSet<>();
        String[] trail = new String[7];
        String title = "";
        String anchor = "_intro";
        StringBuilder body = new StringBuilder();
        String fence = null;
        for (String line : text.split("\r\n?|\n", -1)) {
            Matcher fm = FENCE.matcher(line);
            if (fm.find()) {
                fence = fence == null ? fm.group(1) : fence.equals(fm.group(1)) ? null : fence;
            }
            Matcher hm = fence == null ? ATX_HEADING.matcher(line) : null;
            if (hm != null && hm.matches()) {
                emit(out, anchorsSeen, anchor, title, body.toString(), maxChars);
                int level = hm.group(1).length();
                trail[level] = hm.group(2).trim();
                for (int i = level + 1; i < trail.length; i++) {
                    trail[i] = null;
                }
                StringBuilder t = new StringBuilder();
                StringBuilder a = new StringBuilder();
                for (int i = 1; i <= level; i++) {
                    if (trail[i] != null) {
                        t.append(t.isEmpty() ? "" : " > ").append(trail[i]);
                        a.append(a.isEmpty() ? "" : "/").append(slug(trail[i]));
                    }
                }
                title = t.toString();
                anchor = a.isEmpty() ? "_" : a.toString();
                body.setLength(0);
            } else {
                body.append(line).append('\n');
            }
        }
        emit(out, anchorsSeen, anchor, title, body.toString(), maxChars);
        return out;
    }

    static List<Chunk> paragraphs(String text, int maxChars) {
        List<Chunk> out = new ArrayList<>();
        List<String> parts = split(text.replace("\r\n", "\n").replace('\r', '\n'), maxChars);
        for (int i = 0; i < parts.size(); i++) {
            out.add(new Chunk("p" + (i + 1), "", parts.get(i)));
        }
        return out;
    }

    private static void emit(List<Chunk> out, Set<String> seen, String anchor, String title, String body,
                             int maxChars) {
        if (body.isBlank()) {
            return;
        }
        // "Setup", "Setup", "Setup 2" must give three distinct anchors: setup, setup-2, setup-2-2.
        String unique = anchor;
        for (int n = 2; !seen.add(unique); n++) {
            unique = anchor + "-" + n;
        }
        String prefix = title.isEmpty() ? "" : title + "\n\n";
        List<String> parts = split(body, Math.max(50, maxChars - prefix.length()));
        for (int i = 0; i < parts.size(); i++) {
            out.add(new Chunk(i == 0 ? unique : unique + "~" + (i + 1), title, prefix + parts.get(i)));
        }
    }

    /** Groups paragraphs (separated by blank lines) into parts of at most {@code maxChars}; splits longer ones by line. */
    private static List<String> split(String text, int maxChars) {
        List<String> pieces = new ArrayList<>();
        for (String paragraph : text.strip().split("\\n[ \\t]*\\n")) {
            String p = paragraph.strip();
            while (p.length() > maxChars) {
                int cut = p.lastIndexOf('\n', maxChars);
                if (cut < maxChars / 2) {
                    cut = p.lastIndexOf(' ', maxChars);
                }
                if (cut < maxChars / 2) {
                    cut = Character.isLowSurrogate(p.charAt(maxChars)) ? maxChars - 1 : maxChars;
                }
                pieces.add(p.substring(0, cut).strip());
                p = p.substring(cut).strip();
            }
            if (!p.isEmpty()) {
                pieces.add(p);
            }
        }
        List<String> parts = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String piece : pieces) {
            if (!current.isEmpty() && current.length() + 2 + piece.length() > maxChars) {
                parts.add(current.toString());
                current.setLength(0);
            }
            current.append(current.isEmpty() ? "" : "\n\n").append(piece);
        }
        if (!current.isEmpty()) {
            parts.add(current.toString());
        }
        return parts;
    }

    static String slug(String heading) {
        StringBuilder sb = new StringBuilder();
        boolean dash = false;
        for (int cp : heading.toLowerCase(Locale.ROOT).codePoints().toArray()) {
            if (Character.isLetterOrDigit(cp)) {
                sb.appendCodePoint(cp);
                dash = false;
            } else if (!dash && !sb.isEmpty()) {
                sb.append('-');
                dash = true;
            }
        }
        int end = sb.length();
        while (end > 0 && sb.charAt(end - 1) == '-') {
            end--;
        }
        return end == 0 ? "_" : sb.substring(0, end);
    }
}
