package dev.nyla.sync.spring;

import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.artifact.ArtifactSource;
import dev.nyla.sync.client.NylaSync;
import dev.nyla.sync.store.Generation;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.springframework.boot.actuate.info.Info;
import org.springframework.boot.actuate.info.InfoContributor;

/**
 * Adds {@code nylaSync} to the info endpoint: the installed version and label, its model, the store and the
 * source. The store location is the one the store reports, which the JDBC store gives without its password.
 */
final class NylaSyncInfoContributor implements InfoContributor {
    private final NylaSync sync;
    private final Optional<ArtifactSource> source;

    NylaSyncInfoContributor(NylaSync sync, Optional<ArtifactSource> source) {
        this.sync = sync;
        this.source = source;
    }

    @Override
    public void contribute(Info.Builder info) {
        Map<String, Object> details = new LinkedHashMap<>();
        Optional<Generation> active;
        try {
            active = sync.store().activeGeneration();
        } catch (IOException e) {
            throw new UncheckedIOException(sync.store().location() + ": cannot read the active generation", e);
        }
        active.ifPresent(g -> {
            details.put("version", g.version());
            details.put("label", g.label());
            EmbeddingModel m = g.model();
            details.put("model", Map.of("id", m.id(), "dimension", m.dimension(), "fingerprint", m.fingerprint()));
        });
        details.put("store", sync.store().location());
        source.ifPresent(s -> details.put("source", s.describe()));
        info.withDetail("nylaSync", details);
    }
}
