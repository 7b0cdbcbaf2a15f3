package dev.nyla.sync.cli;

import dev.nyla.sync.artifact.SigningKeys;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code nyla-sync keygen --out <prefix>}: an Ed25519 key pair for signing manifests. */
@Command(name = "keygen", mixinStandardHelpOptions = true,
        description = "Create an Ed25519 key pair: <prefix>.key (keep secret, for publishing) and <prefix>.pub "
                + "(ship with clients).")
final class KeygenCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "<prefix>", description = "Path prefix of the two key files.")
    Path out;

    @Override
    public Integer call() throws Exception {
        KeyPair keys = SigningKeys.generate();
        Path privateFile = SigningKeys.write(keys, out);
        var w = spec.commandLine().getOut();
        w.println("private key: " + privateFile + " (keep it secret; it signs every manifest)");
        w.println("public key:  " + privateFile.resolveSibling(out.getFileName() + ".pub") + " (pin it in clients)");
        w.println("key id:      " + SigningKeys.keyId(keys.getPublic()));
        return 0;
    }
}
