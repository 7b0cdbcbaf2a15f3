import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * The closing summary of {@code ./nyla test}: totals over every module's Surefire and Failsafe reports written
 * by this run, the failed tests, and every skipped test grouped by the reason it gave (an absent database server,
 * a missing permission, ...), so a skip is never only a line in a log file.
 *
 * <p>Run as a single-file program: {@code java tools/TestReport.java <project dir> <run start, epoch ms>}.
 * Reports older than the run's start (a module this run did not test) are ignored. Exit status 0; 3 when no
 * report of this run was found.
 */
public final class TestReport {
    private static final int NAMES_SHOWN = 12;

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]);
        long since = Long.parseLong(args[1]);
        List<Path> reports = new ArrayList<>();
        try (Stream<Path> modules = Files.list(root)) {
            for (Path module : modules.sorted().toList()) {
                for (String dir : new String[] {"surefire-reports", "failsafe-reports"}) {
                    Path reportDir = module.resolve("target").resolve(dir);
                    if (!Files.isDirectory(reportDir)) {
                        continue;
                    }
                    try (Stream<Path> files = Files.list(reportDir)) {
                        files.filter(f -> f.getFileName().toString().matches("TEST-.*\\.xml"))
                                .filter(f -> f.toFile().lastModified() >= since)
                                .sorted()
                                .forEach(reports::add);
                    }
                }
            }
        }
        if (reports.isEmpty()) {
            System.out.println("Tests: no test report was written by this run.");
            System.exit(3);
        }
        int run = 0;
        int failed = 0;
        List<String> failures = new ArrayList<>();
        // reason -> (test class -> skipped tests)
        Map<String, Map<String, Integer>> skipped = new TreeMap<>();
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        for (Path report : reports) {
            Element suite = factory.newDocumentBuilder().parse(report.toFile()).getDocumentElement();
            NodeList cases = suite.getElementsByTagName("testcase");
            for (int i = 0; i < cases.getLength(); i++) {
                Element c = (Element) cases.item(i);
                run++;
                String cls = simpleName(c.getAttribute("classname"));
                String name = c.getAttribute("name");
                Element skip = child(c, "skipped");
                if (skip != null) {
                    String reason = skipReason(skip);
                    skipped.computeIfAbsent(reason.isBlank() ? "(no reason given)" : oneLine(reason), r -> new TreeMap<>())
                            .merge(cls, 1, Integer::sum);
                } else if (child(c, "failure") != null || child(c, "error") != null) {
                    failed++;
                    failures.add(cls + "." + name);
                }
            }
        }
        int skips = skipped.values().stream().flatMap(m -> m.values().stream()).mapToInt(Integer::intValue).sum();
        System.out.println();
        System.out.printf("Tests: %d run: %d passed, %d failed, %d skipped (%d reports of this run)%n",
                run, run - failed - skips, failed, skips, reports.size());
        if (!failures.isEmpty()) {
            System.out.println("Failed:");
            failures.stream().limit(NAMES_SHOWN).forEach(f -> System.out.println("  " + f));
            if (failures.size() > NAMES_SHOWN) {
                System.out.println("  ... and " + (failures.size() - NAMES_SHOWN) + " more (see the reports under */target/*-reports)");
            }
        }
        if (!skipped.isEmpty()) {
            System.out.println("Skipped, and why:");
            for (Map.Entry<String, Map<String, Integer>> e : skipped.entrySet()) {
                int n = e.getValue().values().stream().mapToInt(Integer::intValue).sum();
                System.out.println("  " + n + (n == 1 ? " test: " : " tests: ") + e.getKey());
                List<String> classes = new ArrayList<>();
                e.getValue().forEach((cls, count) -> classes.add(cls + " (" + count + ")"));
                System.out.println("      in " + String.join(", ", classes));
            }
        }
    }

    private static Element child(Element parent, String tag) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(tag)) {
                return e;
            }
        }
        return null;
    }

    /**
     * The reason a test gave for skipping: Surefire writes it as the {@code message} attribute, or, for an
     * aborted assumption, as the first line of the stack trace in the element's text ("Type: message").
     */
    private static String skipReason(Element skip) {
        String message = skip.getAttribute("message");
        if (message.isBlank()) {
            String text = skip.getTextContent().strip();
            int end = text.indexOf('\n');
            message = end < 0 ? text : text.substring(0, end);
            String type = skip.getAttribute("type");
            if (!type.isEmpty() && message.startsWith(type + ": ")) {
                message = message.substring(type.length() + 2);
            }
        }
        return message;
    }

    private static String simpleName(String className) {
        return className.substring(className.lastIndexOf('.') + 1);
    }

    private static String oneLine(String s) {
        String line = s.strip().replaceAll("\\s*\\R\\s*", " ");
        return line.length() > 500 ? line.substring(0, 497) + "..." : line;
    }
}
