package dev.nyla.sync.corpus;

import dev.nyla.sync.corpus.DocumentChunker.Outline;
import dev.nyla.sync.corpus.DocumentChunker.Section;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * AsciiDoc's outline: section titles {@code = } (the document title) to {@code ====== } (level 5), with
 * optional closing {@code =}s. Lines inside delimited blocks (listing {@code ----}, literal {@code ....},
 * example {@code ====}, sidebar {@code ****}, quote {@code ____}, passthrough {@code ++++}, open {@code --},
 * tables {@code |===}, fenced code) are never titles. Comments, attribute entries ({@code :toc:}) and block
 * anchors ({@code [[id]]}, {@code [#id]}) are dropped: they are markup, and left in they would make chunks
 * of their own.
 */
final class AsciiDocOutline {
    private static final Pattern TITLE = Pattern.compile("^(={1,6})[ \\t]+(\\S.*?)(?:[ \\t]+=+)?[ \\t]*$");
    private static final Pattern DELIMITER = Pattern.compile("^(-{4,}|\\.{4,}|={4,}|\\*{4,}|_{4,}|\\+{4,}|/{4,}|--|\\|={3,}|```.*)[ \\t]*$");
    private static final Pattern ATTRIBUTE_ENTRY = Pattern.compile("^:!?[\\w][\\w-]*!?:([ \\t].*)?$");
    private static final Pattern BLOCK_ANCHOR = Pattern.compile("^(\\[\\[[^\\]]+]]|\\[#[^\\]]+])[ \\t]*$");

    private AsciiDocOutline() {
    }

    static Outline read(String text) {
        List<Section> sections = new ArrayList<>();
        String title = "";
        int level = 0;
        String heading = "";
        StringBuilder body = new StringBuilder();
        String block = null; // the delimiter line of the block we are in, which also closes it
        for (String line : text.split("\r\n?|\n", -1)) {
            if (block != null) {
                boolean closes = block.startsWith("```") ? line.strip().equals("```") : line.strip().equals(block);
                if (!block.startsWith("////")) {
                    body.append(line).append('\n');
                }
                if (closes) {
                    block = null;
                }
                continue;
            }
            if (DELIMITER.matcher(line).matches()) {
                block = line.strip();
                if (!block.startsWith("////")) {
                    body.append(line).append('\n');
                }
                continue;
            }
            if (line.startsWith("//") || ATTRIBUTE_ENTRY.matcher(line).matches() || BLOCK_ANCHOR.matcher(line).matches()) {
                continue;
            }
            Matcher tm = TITLE.matcher(line);
            if (tm.matches()) {
                sections.add(new Section(level, heading, body.toString()));
                level = tm.group(1).length();
                heading = tm.group(2).strip();
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
