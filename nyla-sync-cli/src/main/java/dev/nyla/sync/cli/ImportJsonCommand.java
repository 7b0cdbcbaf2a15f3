package dev.nyla.sync.cli;

import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.embed.Embedder;
import dev.nyla.sync.publish.PublishResult;
import dev.nyla.sync.publish.Publisher;
import dev.nyla.sync.corpus.SeedIndex;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code nyla-sync import-json}: the original system's JSON index to a signed artifact, keeping its vectors. */
@Command(name = "import-json", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Turn the original system's JSON index (nyla-knowledge-index.json or .json.gz: "
                + "{\"chunks\": [{\"id\", \"text\", \"embedding\", \"metadata\"}]}) into a signed artifact without "
                + "re-embedding. Every embedding must have the model's dimension and finite values.")
final class ImportJsonCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--in", required = true, paramLabel = "<index.json[.gz]>", description = "The JSON index to import.")
    Path in;

    @Mixin
    final PublishCommand.Release release = new PublishCommand.Release();

    @Option(names = "--model", paramLabel = "<model>", defaultValue = Models.DEFAULT,
            description = "The model the index was embedded with, as clients will embed queries: " + Models.SYNTAX
                    + " (default: ${DEFAULT-VALUE}, the original system's all-MiniLM-L6-v2).")
    String model;

    @Option(names = "--tenant", paramLabel = "<id>", defaultValue = VectorRecord.DEFAULT_TENANT,
            description = "The tenant the chunks belong to (default: ${DEFAULT-VALUE}).")
    String tenant;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        release.check(spec.commandLine());
        // The model is loaded for its identity (id, dimension, fingerprint); nothing is embedded.
        try (Embedder embedder = Models.open(model)) {
            List<VectorRecord> records = SeedIndex.read(in, embedder.model(), tenant);
            out.printf(Locale.ROOT, "read %d chunks from %s as tenant %s, model %s%n", records.size(), in, tenant,
                    Models.describe(embedder.model()));
            Publisher publisher = release.publisher().build();
            PublishResult r = release.previous().isPresent()
                    ? publisher.publishRecords(records, embedder.model(), release.out, release.previous().get())
                    : publisher.publishRecords(records, embedder.model(), release.out);
            release.report(r, out, false);
        }
        return Main.OK;
    }
}
