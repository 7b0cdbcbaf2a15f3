package dev.nyla.sync.cli;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/** How the command line writes sizes and times and reads durations. */
final class Format {
    private static final Pattern SHORT_DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");

    private Format() {
    }

    static String bytes(long n) {
        if (n < 10_000) {
            return n + " B";
        }
        return n < 10_000_000 ? String.format(Locale.ROOT, "%.1f KB", n / 1e3)
                : n < 10_000_000_000L ? String.format(Locale.ROOT, "%.1f MB", n / 1e6)
                : String.format(Locale.ROOT, "%.2f GB", n / 1e9);
    }

    static String millis(Duration d) {
        long ms = d.toMillis();
        return ms < 10_000 ? ms + " ms" : String.format(Locale.ROOT, "%.1f s", ms / 1e3);
    }

    /** A duration as it would be typed: {@code 30m}, {@code 1h}, {@code 1h30m}, {@code 45s}, {@code 250ms}. */
    static String duration(Duration d) {
        if (d.toMillis() % 1000 != 0) {
            return d.toMillis() + "ms";
        }
        long s = d.toSeconds();
        StringBuilder sb = new StringBuilder();
        long[] units = {86_400, 3_600, 60, 1};
        String[] names = {"d", "h", "m", "s"};
        for (int i = 0; i < units.length; i++) {
            if (s >= units[i]) {
                sb.append(s / units[i]).append(names[i]);
                s %= units[i];
            }
        }
        return sb.isEmpty() ? "0s" : sb.toString();
    }

    static String percent(long part, long whole) {
        return String.format(Locale.ROOT, "%.1f%%", whole <= 0 ? 0.0 : 100.0 * part / whole);
    }

    /** An install route as people read it: {@code NATIVE_DELTA} is "native delta". */
    static String route(String name) {
        return name.toLowerCase(Locale.ROOT).replace('_', ' ');
    }

    static String abbreviate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 1) + "…";
    }

    static String firstLine(String text) {
        return text.lines().map(String::strip).filter(l -> !l.isEmpty()).findFirst().orElse("");
    }

    /**
     * Reads {@code 90s}, {@code 30m}, {@code 1h}, {@code 7d}, {@code 250ms}, sums such as {@code 1h30m}, or
     * ISO-8601 ({@code PT1H}).
     */
    static Duration parseDuration(String text) {
        String s = text.strip().toLowerCase(Locale.ROOT);
        if (s.startsWith("p")) {
            try {
                return Duration.parse(s.toUpperCase(Locale.ROOT));
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("duration '" + text + "': expected e.g. 30m, 1h, 7d or PT1H");
            }
        }
        Matcher m = SHORT_DURATION.matcher(s);
        Duration total = Duration.ZERO;
        int at = 0;
        while (m.find() && m.start() == at) {
            long n = Long.parseLong(m.group(1));
            total = total.plus(switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            });
            at = m.end();
        }
        if (at == 0 || at != s.length()) {
            throw new IllegalArgumentException("duration '" + text + "': expected e.g. 30m, 1h, 7d or PT1H");
        }
        return total;
    }

    /** Picocli's converter for duration options. */
    static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            try {
                return parseDuration(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}
