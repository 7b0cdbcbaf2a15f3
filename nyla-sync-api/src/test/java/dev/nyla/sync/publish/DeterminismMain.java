package dev.nyla.sync.publish;

import dev.nyla.sync.SourceRecord;
import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.corpus.Corpus;
import dev.nyla.sync.demo.HashingEmbedder;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * Publishes a fixed corpus twice (version 1, then version 2 with edits) into two directories, and three
 * versions into one site, with a fixed key and clock. Run in a
 * child JVM by {@link PublisherTest} to compare its output with the same publication in the test's JVM:
 * hash seeds and collection iteration orders differ between JVMs, so this is where an ordering leak shows.
 */
public final class DeterminismMain {
    static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-21T12:00:00Z"), ZoneOffset.UTC);

    public static void main(String[] args) throws Exception {
        publishBoth(Path.of(args[0]), Path.of(args[1]));
    }

    static void publishBoth(Path keyFile, Path out) throws Exception {
        Publisher publisher = Publisher.builder().signingKey(SigningKeys.readKeyPair(keyFile))
                .embedder(new HashingEmbedder(32)).clock(CLOCK).build();
        List<SourceRecord> v1 = PublisherTest.corpus(40);
        publisher.publish(Corpus.of(v1), out.resolve("v1"));
        List<SourceRecord> v2 = new ArrayList<>(v1);
        v2.remove(7);
        v2.set(3, new SourceRecord(v2.get(3).tenant(), v2.get(3).id(), "edited", v2.get(3).metadata()));
        publisher.publish(Corpus.of(v2), out.resolve("v2"), out.resolve("v1"));
        // Three versions in one site: the third carries deltas from both earlier ones.
        List<SourceRecord> v3 = new ArrayList<>(v2);
        v3.set(10, new SourceRecord(v3.get(10).tenant(), v3.get(10).id(), "edited again", v3.get(10).metadata()));
        Path site = out.resolve("site");
        publisher.publish(Corpus.of(v1), site);
        publisher.publish(Corpus.of(v2), site, site);
        publisher.publish(Corpus.of(v3), site, site);
    }
}
