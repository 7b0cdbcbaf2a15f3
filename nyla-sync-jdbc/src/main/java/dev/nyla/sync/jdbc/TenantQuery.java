package dev.nyla.sync.jdbc;

/**
 * A user's SQL query with its {@code :tenant} parameters replaced by JDBC {@code ?} placeholders.
 *
 * <p>The scanner knows enough of PostgreSQL's and SQLite's lexical rules to find {@code :tenant} only where
 * it is a parameter: it leaves alone {@code ::type} casts, string literals ({@code '...'} with {@code ''}
 * escapes, {@code E'...'} with backslash escapes), quoted identifiers ({@code "..."}), dollar-quoted strings
 * ({@code $$...$$}, {@code $tag$...$tag$}), and {@code --} and (nested) {@code /* *}{@code /} comments.
 * It refuses a lone {@code ?} (a positional parameter nobody would bind; write {@code ??} for PostgreSQL's
 * jsonb {@code ?} operator, as pgjdbc requires) and a second statement, and drops one trailing
 * {@code ;} so that the query can be wrapped in a subquery.
 *
 * @param sql              the query as JDBC text, {@code ?} where {@code :tenant} was
 * @param tenantParameters how many {@code ?} there are, each to be bound to the tenant
 */
record TenantQuery(String sql, int tenantParameters) {
    private static final String PARAMETER = "tenant";

    /**
     * Parses {@code query}.
     *
     * @throws IllegalArgumentException naming the offset of an unterminated literal or comment, a lone
     *         {@code ?}, or a second statement
     */
    static TenantQuery parse(String query) {
        StringBuilder out = new StringBuilder(query.length());
        int n = query.length();
        int count = 0;
        int semicolon = -1; // where, in out, the last top-level ';' is
        boolean afterSemicolon = false; // significant text after it
        int i = 0;
        while (i < n) {
            char c = query.charAt(i);
            char next = i + 1 < n ? query.charAt(i + 1) : '\0';
            int end;
            if (c == '\'') {
                end = endOfString(query, i, escapeString(query, i));
            } else if (c == '"') {
                end = endOfQuoted(query, i, '"', "quoted identifier");
            } else if (c == '-' && next == '-') {
                end = endOfLine(query, i);
                out.append(query, i, end);
                i = end;
                continue; // a comment is not significant text
            } else if (c == '/' && next == '*') {
                end = endOfBlockComment(query, i);
                out.append(query, i, end);
                i = end;
                continue;
            } else if (c == '$' && (i == 0 || !isIdentifierPart(query.charAt(i - 1))) && dollarTag(query, i) > 0) {
                int tagEnd = dollarTag(query, i);
                String tag = query.substring(i, tagEnd);
                int close = query.indexOf(tag, tagEnd);
                if (close < 0) {
                    throw unterminated("dollar-quoted string " + tag, i, query);
                }
                end = close + tag.length();
            } else if (c == ':' && next == ':') {
                end = i + 2; // a cast: ::type
            } else if (c == ':' && query.startsWith(PARAMETER, i + 1)
                    && (i + 1 + PARAMETER.length() == n || !isIdentifierPart(query.charAt(i + 1 + PARAMETER.length())))) {
                out.append('?');
                count++;
                afterSemicolon |= semicolon >= 0;
                i += 1 + PARAMETER.length();
                continue;
            } else if (c == '?' && next == '?') {
                end = i + 2; // pgjdbc's escape for a literal '?' operator
            } else if (c == '?') {
                throw new IllegalArgumentException("query: a '?' placeholder at offset " + i
                        + ": expected only the named parameter :tenant (write ?? for PostgreSQL's ? operator) in: "
                        + abbreviate(query));
            } else if (c == ';') {
                if (semicolon >= 0) {
                    afterSemicolon = true;
                }
                semicolon = out.length();
                out.append(c);
                i++;
                continue;
            } else {
                end = i + 1;
            }
            if (semicolon >= 0 && !Character.isWhitespace(c)) {
                afterSemicolon = true;
            }
            out.append(query, i, end);
            i = end;
        }
        if (semicolon >= 0) {
            if (afterSemicolon) {
                throw new IllegalArgumentException("query: expected one statement but found text after ';' at offset "
                        + semicolon + " in: " + abbreviate(query));
            }
            out.setCharAt(semicolon, ' '); // the query becomes a subquery; a ';' there is a syntax error
        }
        return new TenantQuery(out.toString(), count);
    }

    /** Whether {@code c} can continue an identifier (PostgreSQL allows '$' there). */
    static boolean isIdentifierPart(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '$';
    }

    /** Whether the literal at {@code quote} is an escape string {@code E'...'}, where backslashes escape. */
    private static boolean escapeString(String s, int quote) {
        if (quote == 0) {
            return false;
        }
        char e = s.charAt(quote - 1);
        return (e == 'E' || e == 'e') && (quote < 2 || !isIdentifierPart(s.charAt(quote - 2)));
    }

    private static int endOfString(String s, int start, boolean backslashes) {
        int i = start + 1;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (backslashes && c == '\\') {
                i += 2;
            } else if (c == '\'') {
                if (i + 1 < s.length() && s.charAt(i + 1) == '\'') {
                    i += 2;
                } else {
                    return i + 1;
                }
            } else {
                i++;
            }
        }
        throw unterminated("string literal", start, s);
    }

    private static int endOfQuoted(String s, int start, char quote, String what) {
        int i = start + 1;
        while (i < s.length()) {
            if (s.charAt(i) == quote) {
                if (i + 1 < s.length() && s.charAt(i + 1) == quote) {
                    i += 2;
                } else {
                    return i + 1;
                }
            } else {
                i++;
            }
        }
        throw unterminated(what, start, s);
    }

    private static int endOfLine(String s, int start) {
        int i = start;
        while (i < s.length() && s.charAt(i) != '\n' && s.charAt(i) != '\r') {
            i++;
        }
        return i;
    }

    /** PostgreSQL nests block comments; SQLite does not, but a comment nested there is rarer than a typo. */
    private static int endOfBlockComment(String s, int start) {
        int depth = 0;
        int i = start;
        while (i + 1 < s.length()) {
            if (s.charAt(i) == '/' && s.charAt(i + 1) == '*') {
                depth++;
                i += 2;
            } else if (s.charAt(i) == '*' && s.charAt(i + 1) == '/') {
                depth--;
                i += 2;
                if (depth == 0) {
                    return i;
                }
            } else {
                i++;
            }
        }
        throw unterminated("comment", start, s);
    }

    /**
     * The end (exclusive) of a dollar-quote tag starting at {@code start} ({@code $$} or {@code $name$}, the
     * name not starting with a digit), or -1 when the '$' starts no tag (such as the parameter {@code $1}).
     */
    private static int dollarTag(String s, int start) {
        int i = start + 1;
        if (i < s.length() && Character.isDigit(s.charAt(i))) {
            return -1;
        }
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '$') {
                return i + 1;
            }
            if (!(Character.isLetterOrDigit(c) || c == '_')) {
                return -1;
            }
            i++;
        }
        return -1;
    }

    private static IllegalArgumentException unterminated(String what, int offset, String query) {
        return new IllegalArgumentException("query: " + what + " at offset " + offset
                + ": expected its end but the query ended first: " + abbreviate(query));
    }

    private static String abbreviate(String query) {
        String flat = query.replaceAll("\\s+", " ").strip();
        return flat.length() <= 200 ? flat : flat.substring(0, 200) + "…";
    }
}
