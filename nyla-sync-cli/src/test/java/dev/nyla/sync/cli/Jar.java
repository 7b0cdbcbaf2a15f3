package dev.nyla.sync.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The real {@code nyla-sync.jar} in a child JVM, started as a user would ({@code java -jar}), with the
 * launcher's JVM options. The jar is the one {@code package} built (system property {@code nyla.cli.jar}).
 */
final class Jar {
    static final Path JAR = Path.of(System.getProperty("nyla.cli.jar", "target/nyla-sync.jar")).toAbsolutePath();
    /** A bound against a hung child, far above any command's run time; not a synchronization. */
    private static final long LIMIT_MINUTES = 5;

    record Result(int exit, String out, String err) {
        /** stderr without the JVM's notice about incubator modules (the SIMD option). */
        String errors() {
            return err.lines().filter(l -> !l.contains("Using incubator modules")).reduce("", (a, b) -> a + b + "\n");
        }

        String both() {
            return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    private final Path home;

    /** Runs commands with {@code NYLA_SYNC_HOME} (state of stores without a directory) under {@code home}. */
    Jar(Path home) {
        this.home = home;
    }

    static List<String> command(String... args) {
        assertTrue(Files.isRegularFile(JAR), JAR + " is missing: the integration tests run after `package`");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xshare:auto",
                "-jar", JAR.toString()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    private ProcessBuilder builder(String... args) {
        ProcessBuilder pb = new ProcessBuilder(command(args));
        Map<String, String> env = pb.environment();
        env.put("NYLA_SYNC_HOME", home.toString());
        return pb;
    }

    /**
     * Runs a command as the unprivileged user {@code nobody} (through {@code setpriv}, which needs root), with
     * {@code home} as its home, nyla-sync home and DJL cache: a user who owns none of the files it is given.
     */
    Result runAsNobody(Path home, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"));
        cmd.addAll(command(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Map<String, String> env = pb.environment();
        env.put("HOME", home.toString());
        env.put("NYLA_SYNC_HOME", home.toString());
        env.put("DJL_CACHE_DIR", home.resolve("djl").toString());
        env.put("ENGINE_CACHE_DIR", home.resolve("djl").toString());
        Process p = pb.start();
        CompletableFuture<String> out = drain(p.getInputStream());
        CompletableFuture<String> err = drain(p.getErrorStream());
        if (!p.waitFor(LIMIT_MINUTES, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            fail("nyla-sync " + String.join(" ", args) + " as nobody did not finish in " + LIMIT_MINUTES + " minutes");
        }
        return new Result(p.exitValue(), out.join(), err.join());
    }

    Result run(String... args) throws IOException, InterruptedException {
        return finish(builder(args).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start(), args);
    }

    /** As {@link #run}, with {@code input} on standard input. */
    Result runWithInput(String input, String... args) throws IOException, InterruptedException {
        Process p = builder(args).start();
        try (OutputStream in = p.getOutputStream()) {
            in.write(input.getBytes(StandardCharsets.UTF_8));
        }
        return finish(p, args);
    }

    private Result finish(Process p, String... args) throws InterruptedException {
        CompletableFuture<String> out = drain(p.getInputStream());
        CompletableFuture<String> err = drain(p.getErrorStream());
        if (!p.waitFor(LIMIT_MINUTES, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            fail("nyla-sync " + String.join(" ", args) + " did not finish in " + LIMIT_MINUTES + " minutes");
        }
        return new Result(p.exitValue(), out.join(), err.join());
    }

    /** A long-running command whose output lines can be awaited one by one. */
    Running start(String... args) throws IOException {
        Process p = builder(args).redirectErrorStream(true).start();
        return new Running(p);
    }

    static final class Running implements AutoCloseable {
        /** Put on the queue when the output ends, so that a wait for a line never outlasts the process. */
        private static final String END = "\u0000end of output";
        private final Process process;
        private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        private final StringBuilder seen = new StringBuilder();

        Running(Process process) {
            this.process = process;
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        lines.add(line);
                    }
                } catch (IOException ignored) {
                    // the process ended
                } finally {
                    lines.add(END);
                }
            }, "jar-output");
            reader.setDaemon(true);
            reader.start();
        }

        /** Blocks until a line containing {@code text} is printed; fails if the process ends first. */
        String await(String text) throws InterruptedException {
            while (true) {
                String line = lines.poll(LIMIT_MINUTES, TimeUnit.MINUTES);
                if (line == null || line.equals(END)) {
                    lines.add(END);
                    fail("no line with '" + text + "' " + (line == null ? "in " + LIMIT_MINUTES + " minutes"
                            : "before the output ended") + "; output so far:\n" + seen);
                }
                seen.append(line).append('\n');
                if (line.contains(text)) {
                    return line;
                }
            }
        }

        String output() {
            return seen.toString();
        }

        long pid() {
            return process.pid();
        }

        /** The lines printed after the last awaited one, until the output ends (call after the process ended). */
        List<String> remaining() throws InterruptedException {
            List<String> rest = new ArrayList<>();
            for (String line; !(line = lines.take()).equals(END); ) {
                seen.append(line).append('\n');
                rest.add(line);
            }
            lines.add(END);
            return rest;
        }

        /**
         * SIGTERM, as a service manager would stop it (Ctrl-C's SIGINT runs the same shutdown hooks); returns the
         * exit code. Through the process handle: {@code Process.destroy()} also closes our end of its output, and
         * what it prints while stopping would be lost.
         */
        int stop() throws InterruptedException {
            process.toHandle().destroy();
            if (!process.waitFor(LIMIT_MINUTES, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                fail("the process did not stop on SIGTERM");
            }
            return process.exitValue();
        }

        @Override
        public void close() {
            process.destroyForcibly();
        }
    }

    private static CompletableFuture<String> drain(java.io.InputStream in) {
        // A thread of its own for each stream: a child blocked writing one pipe must not wait on the other.
        CompletableFuture<String> text = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                text.complete(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                text.completeExceptionally(e);
            }
        }, "jar-drain");
        t.setDaemon(true);
        t.start();
        return text;
    }
}
