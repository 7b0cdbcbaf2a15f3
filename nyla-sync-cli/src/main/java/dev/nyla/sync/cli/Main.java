package dev.nyla.sync.cli;

import dev.nyla.sync.NylaSyncException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code nyla-sync} command line. Every error is one line on stderr unless {@code --verbose} is given. */
@Command(name = "nyla-sync", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Publish, distribute and install signed artifacts of embeddings.",
        subcommands = {KeygenCommand.class, DemoCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Callable<Integer> {

    @Option(names = "--verbose", description = "Print stack traces on errors.", scope = CommandLine.ScopeType.INHERIT)
    boolean verbose;

    @Override
    public Integer call() {
        new CommandLine(this).usage(System.out);
        return 0;
    }

    public static void main(String[] args) {
        // Before the first logger exists: slf4j-simple reads its level once.
        if (java.util.Arrays.asList(args).contains("--verbose")) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "info");
        }
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line with the given output streams and returns the exit code. */
    static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            Main main = commandLine.getCommandSpec().root().userObject() instanceof Main m ? m : null;
            if (main != null && main.verbose) {
                e.printStackTrace(err);
            }
            String kind = e instanceof NylaSyncException ? "" : e.getClass().getSimpleName() + ": ";
            err.println("nyla-sync: " + kind + e.getMessage());
            return 1;
        });
        return cli.execute(args);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"nyla-sync " + (v == null ? "(development build)" : v),
                    "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")"};
        }
    }
}
