package dev.nyla.sync.cli;

import dev.nyla.sync.NylaSyncException;
import dev.nyla.sync.internal.Locations;
import dev.nyla.sync.store.VectorStores;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code nyla-sync} command line. Every error is one line on stderr unless {@code --verbose} is given.
 *
 * <p>Exit codes: {@value #OK} done; {@value #FAILED} failed (the line says why); {@value #USAGE} bad flags;
 * {@value #OUT_OF_SYNC} {@code reconcile --check} found drift; {@value #NOT_INSTALLED} {@code sync} found an
 * update that policy kept from installing (rollout, manual approval, metered connection).
 */
@Command(name = "nyla-sync", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Publish, distribute, install and reconcile signed artifacts of embeddings.",
        footer = {"", "Store URIs: lucene:<dir>, file:<dir>, jdbc:sqlite:<file>, jdbc:postgresql://<host>/<db>?user=..&password=.."
                + " (add &nyla.dialect=pgvector for pgvector), memory:.",
                "Exit codes: 0 done, 1 failed, 2 usage error, 3 reconcile --check found drift, "
                        + "4 sync found an update that policy kept from installing."},
        subcommands = {KeygenCommand.class, PublishCommand.class, ImportJsonCommand.class, PruneCommand.class,
                RotateKeyCommand.class,
                SyncCommand.class, StatusCommand.class, SearchCommand.class, RollbackCommand.class, VerifyCommand.class,
                ReconcileCommand.class, DemoCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Callable<Integer> {
    static final int OK = 0;
    static final int FAILED = 1;
    static final int USAGE = 2;
    static final int OUT_OF_SYNC = 3;
    static final int NOT_INSTALLED = 4;
    /** Held so that the level set on it is not lost with a collected logger. */
    private static final java.util.logging.Logger LUCENE_LOG = java.util.logging.Logger.getLogger("org.apache.lucene");

    @Option(names = "--verbose", description = "Print stack traces on errors and log at INFO level.",
            scope = CommandLine.ScopeType.INHERIT)
    boolean verbose;

    @Override
    public Integer call() {
        new CommandLine(this).usage(System.out);
        return OK;
    }

    public static void main(String[] args) {
        // Before the first logger exists: slf4j-simple reads its settings once. Logs go to stderr, so
        // stdout stays the command's output.
        boolean verbose = java.util.Arrays.asList(args).contains("--verbose");
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "info" : "error");
        System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
        if (!verbose) {
            // Lucene logs through java.util.logging; its start-up line (SIMD or not) is INFO.
            LUCENE_LOG.setLevel(java.util.logging.Level.WARNING);
        }
        // Without --verbose only errors are logged: every failure the command sees is its one line on stderr.
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line with the given output streams and returns the exit code. */
    static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(out);
        cli.setErr(err);
        cli.setParameterExceptionHandler((e, args1) -> {
            // A usage error: what is wrong, in one line, then the command's synopsis and where the help is.
            CommandLine cmd = e.getCommandLine();
            err.println("nyla-sync " + (cmd.getParent() == null ? "" : cmd.getCommandName() + ": ") + oneLine(e));
            err.print("Usage: " + cmd.getHelp().synopsis(0));
            err.println("See 'nyla-sync " + (cmd.getParent() == null ? "" : cmd.getCommandName() + " ") + "--help'.");
            return USAGE;
        });
        // A --store location no adapter serves is a bad value like any other: a usage error, found before the
        // command runs.
        cli.setExecutionStrategy(parseResult -> {
            checkStoreSchemes(parseResult);
            return new CommandLine.RunLast().execute(parseResult);
        });
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            Main main = commandLine.getCommandSpec().root().userObject() instanceof Main m ? m : null;
            if (main != null && main.verbose) {
                e.printStackTrace(err);
            }
            err.println("nyla-sync " + commandLine.getCommandName() + ": " + oneLine(e));
            return e instanceof CommandLine.ParameterException ? USAGE : FAILED;
        });
        return cli.execute(args);
    }

    /**
     * Refuses a {@code --store} whose scheme no adapter on the class path serves, naming those that are.
     *
     * @throws CommandLine.ParameterException for the first such location
     */
    static void checkStoreSchemes(CommandLine.ParseResult parseResult) {
        for (CommandLine.ParseResult pr = parseResult; pr != null; pr = pr.subcommand()) {
            CommandLine.Model.OptionSpec store = pr.matchedOption("--store");
            if (store == null) {
                continue;
            }
            String location = store.getValue();
            int colon = location.indexOf(':');
            Map<String, String> schemes = VectorStores.availableSchemes();
            if (colon < 1 || !schemes.containsKey(location.substring(0, colon))) {
                String shown = Locations.redact(location);
                throw new CommandLine.ParameterException(pr.commandSpec().commandLine(), "--store '" + shown + "': "
                        + (colon < 1 ? "expected <scheme>:<where>, one of " : "no store adapter for scheme '"
                        + location.substring(0, colon) + "'; expected one of ") + String.join(", ", schemes.values()));
            }
        }
    }

    /** The message of {@code e} as one line: our own exceptions say it all, others get their type. */
    static String oneLine(Throwable e) {
        Throwable t = e instanceof UncheckedIOException && e.getCause() != null ? e.getCause() : e;
        String message = t.getMessage() == null ? "" : t.getMessage().strip().replaceAll("\\s*\\R\\s*", " ");
        if (t instanceof NylaSyncException || t instanceof CommandLine.ParameterException) {
            return message;
        }
        if (t instanceof java.nio.file.NoSuchFileException) {
            return "no such file: " + message;
        }
        if (t instanceof java.nio.file.AccessDeniedException a) {
            // A file beside the store (its sync state, a key, a corpus) that this user may not use.
            return "permission denied: " + a.getFile() + (a.getReason() == null ? "" : " (" + a.getReason() + ")")
                    + "; this command runs as " + System.getProperty("user.name", "?") + ": run it as the user that "
                    + "owns the file, or ask for access";
        }
        String kind = t.getClass().getSimpleName();
        return message.isEmpty() ? kind : kind + ": " + message;
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
