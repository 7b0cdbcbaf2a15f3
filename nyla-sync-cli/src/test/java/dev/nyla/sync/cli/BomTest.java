package dev.nyla.sync.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * {@code nyla-sync-bom} against the build: every module of the root {@code pom.xml} that is published is in the
 * BOM, with its packaging, and the BOM names nothing else; its version is the parent's. A module added to the
 * build without a line in the BOM fails here, so an application that imports the BOM can depend on every
 * artifact without a version.
 */
class BomTest {
    /** Modules of the build that are not published, and why. */
    private static final Map<String, String> UNPUBLISHED = Map.of(
            "benchmarks", "JMH benchmarks, run from the source tree",
            "nyla-sync-bom", "the BOM itself");

    private static final Path ROOT = root();

    @Test
    void listsEveryPublishedModuleWithItsPackagingAndNothingElse() throws Exception {
        Map<String, String> modules = new TreeMap<>();
        for (String module : children(document(ROOT.resolve("pom.xml")).getDocumentElement(), "modules", "module")) {
            if (UNPUBLISHED.containsKey(module)) {
                continue;
            }
            Element pom = document(ROOT.resolve(module).resolve("pom.xml")).getDocumentElement();
            modules.put(text(pom, "artifactId"), typeOf(text(pom, "packaging")));
        }
        assertTrue(modules.size() >= 6, "the build's published modules: " + modules);

        Element bom = document(ROOT.resolve("nyla-sync-bom/pom.xml")).getDocumentElement();
        Map<String, String> listed = new TreeMap<>();
        Set<String> testJars = new TreeSet<>();
        for (Element dependency : elements(first(first(bom, "dependencyManagement"), "dependencies"), "dependency")) {
            assertEquals("dev.nyla", text(dependency, "groupId"), "only the project's artifacts: " + dependency);
            assertEquals("${project.version}", text(dependency, "version"),
                    text(dependency, "artifactId") + ": the BOM's own version, so that one number moves them all");
            String type = typeOf(text(dependency, "type"));
            if (type.equals("test-jar")) {
                testJars.add(text(dependency, "artifactId"));
            } else {
                assertNull(listed.put(text(dependency, "artifactId"), type), "listed twice: " + dependency);
            }
        }
        assertEquals(modules, listed, "nyla-sync-bom/pom.xml must list every published module of pom.xml "
                + "(artifactId and, for a pom-packaged one, <type>pom</type>) and nothing else");
        assertTrue(modules.keySet().containsAll(testJars), "test-jars of listed modules only: " + testJars);

        Element parent = document(ROOT.resolve("pom.xml")).getDocumentElement();
        assertEquals(text(parent, "version"), text(bom, "version"),
                "the BOM's version follows the parent's (nyla-sync-bom has no parent on purpose)");
    }

    /** A module's packaging as a dependency type: jar unless it says otherwise. */
    private static String typeOf(String packaging) {
        return packaging == null ? "jar" : packaging;
    }

    private static Path root() {
        // Surefire runs in the module's directory; the root pom is its parent's.
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isDirectory(dir.resolve("nyla-sync-bom"))) {
            dir = dir.getParent();
        }
        assertNotNull(dir, "no nyla-sync-bom directory above " + Path.of("").toAbsolutePath());
        return dir;
    }

    private static Document document(Path pom) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        return factory.newDocumentBuilder().parse(pom.toFile());
    }

    private static List<String> children(Element parent, String list, String item) {
        return elements(first(parent, list), item).stream().map(e -> e.getTextContent().trim()).toList();
    }

    private static Element first(Element parent, String name) {
        List<Element> found = elements(parent, name);
        assertFalse(found.isEmpty(), "no <" + name + "> in <" + parent.getTagName() + ">");
        return found.get(0);
    }

    /** The direct children named {@code name}: not nested ones, such as a plugin's own artifactId. */
    private static List<Element> elements(Element parent, String name) {
        List<Element> found = new ArrayList<>();
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(name)) {
                found.add(e);
            }
        }
        return found;
    }

    private static String text(Element parent, String name) {
        List<Element> found = elements(parent, name);
        return found.isEmpty() ? null : found.get(0).getTextContent().trim();
    }
}
