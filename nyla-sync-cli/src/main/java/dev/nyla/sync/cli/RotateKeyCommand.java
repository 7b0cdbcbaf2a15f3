package dev.nyla.sync.cli;

import dev.nyla.sync.artifact.KeyDocument;
import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.publish.KeyRotation;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/** {@code nyla-sync rotate-key}: the site's next key document, so clients move to a new key without an app update. */
@Command(name = "rotate-key", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Write the site's next key document (keys-<n>.json and its .sig): the keys that may sign "
                + "manifests from now on are the current ones and the new ones, less the revoked ones. Clients that "
                + "pin only an earlier key follow the documents one by one, then accept manifests signed by the new "
                + "key and refuse those signed by a revoked one. The document is signed by every --signing-key (the "
                + "current keys: those of the site's newest key document, or on a site without one the key the apps "
                + "pin) and every --new-key (proof that it is held), and checked as clients check it before it is "
                + "written. Then publish with --signing-key <new key>.",
                "Exit 0 when written; 1 when the site's key documents are not a valid chain or none of the signing keys "
                        + "signed the newest; 2 on options that make no rotation clients accept. Nothing is written "
                        + "unless it exits 0."})
final class RotateKeyCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--site", required = true, paramLabel = "<dir>",
            description = "The site directory publish writes (its --out).")
    Path site;

    @Option(names = "--signing-key", required = true, paramLabel = "<file>",
            description = "A current private key (<prefix>.key); repeat it until the current threshold is reached.")
    List<Path> signingKeys = new ArrayList<>();

    @Option(names = "--new-key", paramLabel = "<file>",
            description = "The private key (<prefix>.key from keygen) of a key to trust from now on; repeatable.")
    List<Path> newKeys = new ArrayList<>();

    @Option(names = "--revoke", paramLabel = "<key id>",
            description = "The id of a current key that clients must refuse from now on (a leaked key); repeatable. "
                    + "A revocation is never undone.")
    List<String> revoke = new ArrayList<>();

    @Option(names = "--threshold", paramLabel = "N",
            description = "How many distinct keys of the new document must sign the next rotation (default: as the "
                    + "current document, or 1).")
    Integer threshold;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (!Files.isDirectory(site)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--site: expected the site directory but "
                    + site + (Files.exists(site) ? " is not a directory" : " does not exist"));
        }
        if (newKeys.isEmpty() && revoke.isEmpty() && threshold == null) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "expected something to change: --new-key, --revoke or --threshold");
        }
        if (threshold != null && threshold < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--threshold: expected at least 1 but was "
                    + threshold);
        }
        KeyRotation.Builder b = KeyRotation.builder(site);
        for (Path p : signingKeys) {
            b.signingKey(SigningKeys.readKeyPair(p));
        }
        for (Path p : newKeys) {
            b.newKey(SigningKeys.readKeyPair(p));
        }
        revoke.forEach(b::revoke);
        if (threshold != null) {
            b.threshold(threshold);
        }
        KeyDocument d;
        try {
            d = b.rotate();
        } catch (IllegalArgumentException e) {
            // A rotation clients would refuse, or one that changes nothing: bad options, nothing written.
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        out.println("wrote " + site.resolve(KeyDocument.fileName(d.version())) + " and its .sig: key document "
                + d.version());
        out.println("keys:      " + String.join(" ", d.keyIds()) + " (threshold " + d.threshold() + ")");
        out.println("revoked:   " + (d.revoked().isEmpty() ? "none" : String.join(" ", d.revoked())));
        out.println("next: upload both files before the manifest that needs them, then publish with one of these "
                + "keys; apps that pin these keys from now on set pinnedKeysVersion(" + d.version() + ")");
        return Main.OK;
    }
}
