package dev.nyla.sync.corpus;

import dev.nyla.sync.corpus.DocumentChunker.Outline;
import dev.nyla.sync.corpus.DocumentChunker.Section;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Markdown's outline: ATX headings ({@code #} to {@code ######}) outside code fences. The title is the first
 * level-1 heading. Setext headings (underlined) are not headings here: recognising them now would move the
 * anchors of documents already published.
 */
final class MarkdownOutline {
    private static final Pattern ATX_HEADING = Pattern.compile("^ {0,3}(#{1,6})[ \\t]+(.*?)[ \\t]*#*[ \\t]*$");
    private static final Pattern FENCE = Pattern.compile("^ {0,3}(```|~~~)");

    private MarkdownOutline() {
    }

    static Outline read(String text) {
        List<Section> sections = new ArrayList<>();
        String title = "";
        int level = 0;
        String heading = "";
        StringBuilder body = new StringBuilder();
        String fence = null;
        for (String line : text.split("\r\n?|\n", -1)) {
            Matcher fm = FENCE.matcher(line);
            if (fm.find()) {
                fence = fence == null ? fm.group(1) : fence.equals(fm.group(1)) ? null : fence;
            }
            Matcher hm = fence == null ? ATX_HEADING.matcher(line) : null;
            if (hm != null && hm.matches()) {
                sections.add(new Section(level, heading, body.toString()));
                level = hm.group(1).length();
                heading = hm.group(2).trim();
                if (level == 1 && title.isEmpty()) {
                    title = heading;
                }
                body.setLength(0);
            } else {
                body.append(line).append('\n');
            }
        }
        sections.add(new Section(level, heading, body.toString()));
        return new Outline(title, sections);
    }
}
