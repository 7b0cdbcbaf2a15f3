package dev.nyla.sync.publish;

import static org.junit.jupiter.api.Assertions.*;

import dev.nyla.sync.ArtifactException;
import dev.nyla.sync.artifact.BadSignatureException;
import dev.nyla.sync.artifact.Manifest;
import dev.nyla.sync.artifact.internal.ManifestEdits;
import dev.nyla.sync.artifact.SigningKeys;
import dev.nyla.sync.corpus.Corpus;
import dev.nyla.sync.demo.HashingEmbedder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SiteHistoryTest {
    private static final KeyPair KEYS = SigningKeys.generate();

    @TempDir
    Path site;

    private Publisher publisher() {
        return Publisher.builder().signingKey(KEYS).embedder(new HashingEmbedder(32)).build();
    }

    @Test
    void everyPublicationIsRecordedWithTheBytesThatWereServed() throws IOException {
        Publisher p = publisher();
        p.publish(Corpus.of(PublisherTest.corpus(10)), site);
        p.publish(Corpus.of(PublisherTest.corpus(12)), site, site);
        SiteHistory history = new SiteHistory(site);
        assertEquals(List.of(1L, 2L), history.versions());
        assertArrayEquals(Files.readAllBytes(site.resolve(Manifest.FILE_NAME)), Files.readAllBytes(history.manifestFile(2)));
        assertArrayEquals(Files.readAllBytes(site.resolve(Manifest.SIGNATURE_FILE_NAME)),
                Files.readAllBytes(history.signatureFile(2)));
        assertEquals(1, history.read(1, List.of(KEYS.getPublic())).orElseThrow().version());
        assertTrue(history.read(3, List.of(KEYS.getPublic())).isEmpty());
    }

    @Test
    void aSiteWithoutHistoryGetsItsPreviousVersionRecordedByTheNextPublication() throws IOException {
        Publisher p = publisher();
        p.publish(Corpus.of(PublisherTest.corpus(10)), site);
        p.publish(Corpus.of(PublisherTest.corpus(11)), site, site);
        // As a site published by an earlier release, or one whose last publication was cut off before its entry.
        SiteHistory history = new SiteHistory(site);
        history.remove(1);
        history.remove(2);
        p.publish(Corpus.of(PublisherTest.corpus(12)), site, site);
        assertEquals(List.of(2L, 3L), history.versions());
    }

    @Test
    void aTamperedEntryIsRefusedNotTrusted() throws IOException {
        Publisher p = publisher();
        p.publish(Corpus.of(PublisherTest.corpus(10)), site);
        SiteHistory history = new SiteHistory(site);
        ManifestEdits.set(history.manifestFile(1), "/counts/records", 11);
        assertThrows(BadSignatureException.class, () -> history.read(1, List.of(KEYS.getPublic())));
    }

    @Test
    void anotherManifestForARecordedVersionIsRefused() throws IOException {
        publisher().publish(Corpus.of(PublisherTest.corpus(10)), site);
        SiteHistory history = new SiteHistory(site);
        byte[] sig = Files.readAllBytes(history.signatureFile(1));
        ArtifactException e = assertThrows(ArtifactException.class,
                () -> history.record(1, "{}".getBytes(java.nio.charset.StandardCharsets.UTF_8), sig));
        assertTrue(e.getMessage().contains("version 1"), e.getMessage());
    }
}
