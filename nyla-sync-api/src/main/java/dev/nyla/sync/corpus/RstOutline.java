package dev.nyla.sync.corpus;

import dev.nyla.sync.corpus.DocumentChunker.Outline;
import dev.nyla.sync.corpus.DocumentChunker.Section;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * reStructuredText's outline. A section title is a line of text at the start of a paragraph with an
 * underline, or an overline and an underline, of one repeated punctuation character; the underline is at
 * least as long as the text or at least 4 characters, as docutils requires. Levels follow docutils: each
 * adornment style (character, with or without overline) gets the next level the first time it appears. The
 * first title is the document's title.
 *
 * <p>Titles are only found at the left margin, so indented text (literal blocks, directive bodies such as
 * {@code .. code-block::}'s) never holds one; an unindented ("quoted") literal block after {@code ::} is
 * skipped too. Directives stay in the text. Comments, hyperlink targets ({@code .. _name:}) and Sphinx's
 * file-wide fields ({@code :orphan:}, {@code :tocdepth:}) are dropped: they are markup, and left in they
 * would make chunks of their own.
 */
final class RstOutline {
    private static final String ADORNMENT = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
    private static final Pattern DIRECTIVE = Pattern.compile("^\\.\\.[ \\t]+[A-Za-z0-9][\\w.+:-]*?::([ \\t].*)?$");
    private static final Pattern FILE_FIELD = Pattern.compile("^:(orphan|nocomments|nosearch|tocdepth):([ \\t].*)?$");

    private RstOutline() {
    }

    static Outline read(String text) {
        String[] lines = text.split("\r\n?|\n", -1);
        List<String> styles = new ArrayList<>();
        List<Section> sections = new ArrayList<>();
        String title = "";
        int level = 0;
        String heading = "";
        StringBuilder body = new StringBuilder();
        boolean paragraphStart = true; // after a blank line, a title, or at the start
        boolean literalArmed = false;  // the last text line ended with "::"
        boolean literalNext = false;   // ... and a blank line followed: the next block is literal
        boolean quoted = false;        // inside an unindented literal block, which ends at a blank line
        boolean dropping = false;      // inside a comment or target, which ends at the next unindented line
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (line.isBlank()) {
                body.append('\n');
                paragraphStart = true;
                quoted = false;
                literalNext = literalArmed;
                continue;
            }
            boolean margin = !Character.isWhitespace(line.charAt(0));
            if (margin && !paragraphStart && Character.isWhitespace(body.charAt(lastLineStart(body)))) {
                paragraphStart = true; // an unindent ends the indented block as a blank line would
            }
            if (dropping && !margin) {
                continue;
            }
            dropping = false;
            if (quoted) {
                body.append(line).append('\n');
                continue;
            }
            if (literalNext) {
                literalArmed = literalNext = false;
                if (margin && ADORNMENT.indexOf(line.charAt(0)) >= 0) {
                    quoted = true;
                    body.append(line).append('\n');
                    continue;
                }
            }
            literalArmed = false;
            if (margin && (line.equals("..") || line.startsWith(".. ")) && !DIRECTIVE.matcher(line).matches()) {
                String rest = line.substring(2).strip();
                // Footnotes [1] and substitution definitions |x| are content; comments and targets are not.
                if (!rest.startsWith("[") && !rest.startsWith("|")) {
                    dropping = true;
                    continue;
                }
            }
            if (sections.isEmpty() && FILE_FIELD.matcher(line).matches()) {
                continue; // only before the first title, where Sphinx reads them
            }
            String titleText = null;
            String style = null;
            if (paragraphStart && isAdornment(line) && i + 2 < lines.length && !lines[i + 1].isBlank()
                    && !isAdornment(lines[i + 1]) && lines[i + 2].stripTrailing().equals(line.stripTrailing())) {
                titleText = lines[i + 1].strip();
                style = "over" + line.charAt(0);
                i += 2;
            } else if (paragraphStart && margin && !isAdornment(line) && i + 1 < lines.length && isAdornment(lines[i + 1])) {
                int underline = lines[i + 1].stripTrailing().length();
                int width = line.strip().codePointCount(0, line.strip().length());
                if (underline >= width || underline >= 4) {
                    titleText = line.strip();
                    style = "under" + lines[i + 1].charAt(0);
                    i += 1;
                }
            }
            if (titleText != null) {
                sections.add(new Section(level, heading, body.toString()));
                int index = styles.indexOf(style);
                if (index < 0) {
                    styles.add(style);
                    index = styles.size() - 1;
                }
                level = index + 1;
                heading = titleText;
                if (title.isEmpty()) {
                    title = heading;
                }
                body.setLength(0);
                paragraphStart = true;
                continue;
            }
            body.append(line).append('\n');
            paragraphStart = false;
            literalArmed = line.stripTrailing().endsWith("::");
        }
        sections.add(new Section(level, heading, body.toString()));
        return new Outline(title, sections);
    }

    /** Where the last line in {@code body} (which ends with a newline) starts. */
    private static int lastLineStart(StringBuilder body) {
        return body.lastIndexOf("\n", body.length() - 2) + 1;
    }

    /** A line of one punctuation character repeated, at the left margin. */
    private static boolean isAdornment(String line) {
        String s = line.stripTrailing();
        if (s.isEmpty() || ADORNMENT.indexOf(s.charAt(0)) < 0) {
            return false;
        }
        for (int i = 1; i < s.length(); i++) {
            if (s.charAt(i) != s.charAt(0)) {
                return false;
            }
        }
        return true;
    }
}
