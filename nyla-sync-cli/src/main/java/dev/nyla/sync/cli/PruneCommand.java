package dev.nyla.sync.cli;

import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.publish.PruneResult;
import dev.nyla.sync.publish.SitePruner;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code nyla-sync prune}: bound a site's size to the files of its newest versions. */
@Command(name = "prune", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Delete the payload files of a site that only versions older than the --keep newest name, "
                + "then those versions' entries in the site's history/. Files no manifest names (an index.html, "
                + "leftovers) are never touched; every manifest is verified first, and a bad one stops the prune "
                + "before anything is deleted. Run it after publish, between publications.",
                "Exit 0 when done (or nothing to prune), 1 when a manifest failed verification, 2 on bad options."})
final class PruneCommand implements Callable<Integer> {
    /** File names a dry run lists before it says "and N more". */
    private static final int LISTED = 20;

    @Spec
    CommandSpec spec;

    @Option(names = "--site", required = true, paramLabel = "<dir>",
            description = "The site directory publish writes (its --out).")
    Path site;

    @Option(names = "--keep", required = true, paramLabel = "N",
            description = "How many of the newest versions keep their files, at least " + SitePruner.MIN_KEEP
                    + "; at least the versions the publisher writes deltas from.")
    int keep;

    @Option(names = "--dry-run", description = "Say what would be deleted; delete nothing.")
    boolean dryRun;

    @Option(names = "--public-key", paramLabel = "<file>",
            description = "A public key that signs the site's manifests (<prefix>.pub from keygen); repeat it for "
                    + "the old and new keys of a rotation.")
    List<Path> publicKeys = new ArrayList<>();

    @Option(names = "--signing-key", paramLabel = "<file>",
            description = "The private key publish signs with (<prefix>.key), instead of or beside --public-key: "
                    + "its public half is trusted.")
    Path signingKey;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (keep < SitePruner.MIN_KEEP) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--keep: expected at least "
                    + SitePruner.MIN_KEEP + " (the current version and the previous one, which clients may still be "
                    + "downloading) but was " + keep);
        }
        if (publicKeys.isEmpty() && signingKey == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "expected the key that signs the site: "
                    + "--public-key <file> (repeatable) or --signing-key <file>");
        }
        Set<PublicKey> keys = new LinkedHashSet<>();
        for (Path p : publicKeys) {
            keys.add(SigningKeys.readPublicKey(p));
        }
        if (signingKey != null) {
            keys.add(SigningKeys.readKeyPair(signingKey).getPublic());
        }
        PruneResult r = SitePruner.prune(site, keep, keys, dryRun);
        List<Long> kept = r.keptVersions();
        if (!r.historyFound()) {
            out.printf(Locale.ROOT, "nothing to prune: %s has no history/ of its versions (sites published before "
                    + "the publisher kept one get it at their next publish); version %d is live, %s in its files%n",
                    site, kept.get(kept.size() - 1), Format.bytes(r.keptBytes()));
        } else {
            out.printf(Locale.ROOT, "%s%s: keeping the %d newest versions%n", dryRun ? "dry run, nothing deleted: " : "",
                    site, keep);
            out.printf(Locale.ROOT, "kept versions: %s (%s in their files)%n", ranges(kept), Format.bytes(r.keptBytes()));
            String verb = dryRun ? "would remove" : "removed";
            out.printf(Locale.ROOT, "%s versions: %s%n", verb, r.removedVersions().isEmpty() ? "none"
                    : ranges(r.removedVersions()));
            out.printf(Locale.ROOT, "%s: %d files, %s%n", dryRun ? "would delete" : "deleted", r.deletedFiles().size(),
                    Format.bytes(r.deletedBytes()));
            if (dryRun) {
                r.deletedFiles().stream().limit(LISTED).forEach(name -> out.println("  " + name));
                if (r.deletedFiles().size() > LISTED) {
                    out.println("  and " + (r.deletedFiles().size() - LISTED) + " more");
                }
            }
        }
        if (!r.missingFiles().isEmpty()) {
            out.printf(Locale.ROOT, "note: %d files the kept versions name are not in %s, e.g. %s; clients of those "
                    + "versions cannot download them%n", r.missingFiles().size(), site, r.missingFiles().get(0));
        }
        return Main.OK;
    }

    /** "1-3, 5, 7-9": ascending versions as ranges, so that forty versions fit a line. */
    private static String ranges(List<Long> versions) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < versions.size(); ) {
            int j = i;
            while (j + 1 < versions.size() && versions.get(j + 1) == versions.get(j) + 1) {
                j++;
            }
            sb.append(sb.isEmpty() ? "" : ", ").append(versions.get(i));
            if (j > i) {
                sb.append(j == i + 1 ? ", " : "-").append(versions.get(j));
            }
            i = j + 1;
        }
        return sb.toString();
    }
}
