package dev.nyla.sync.spring;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nyla.sync.artifact.ExpiredManifestException;
import dev.nyla.sync.client.NylaSync;
import dev.nyla.sync.client.SyncResult;
import dev.nyla.sync.embed.Embedder;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.SearchHit;
import dev.nyla.sync.store.SearchRequest;
import dev.nyla.sync.store.VectorStore;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.BeanCreationException;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.event.EventListener;

/**
 * A whole Spring Boot application with the starter, the actuator and a web server, syncing from a signed site
 * served over HTTP on loopback: three properties, and the first version is installed before the application
 * reports ready; a check installs the next; the health and info endpoints show what is installed, and an expired
 * manifest turns the health DOWN.
 */
class NylaSyncApplicationTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    private ArtifactSite site;
    private ConfigurableApplicationContext app;

    /** The application: it embeds queries with the publisher's model, and its clock is the test's. */
    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class SearchApp {
        final AtomicLong versionWhenReady = new AtomicLong(-1);

        @Bean
        Embedder queryEmbedder() {
            return ArtifactSite.EMBEDDER;
        }

        @Bean
        MutableClock clock() {
            return new MutableClock();
        }

        @EventListener
        void ready(ApplicationReadyEvent e) throws IOException {
            VectorStore store = e.getApplicationContext().getBean(VectorStore.class);
            versionWhenReady.set(store.activeGeneration().map(Generation::version).orElse(0L));
        }
    }

    @BeforeEach
    void setUp() throws IOException {
        site = new ArtifactSite(dir);
    }

    @AfterEach
    void tearDown() {
        if (app != null) {
            app.close();
        }
        site.close();
    }

    private void start(URI source) {
        app = new SpringApplicationBuilder(SearchApp.class).properties(
                "nyla.sync.source=" + source,
                "nyla.sync.store=file:" + dir.resolve("store"),
                "nyla.sync.public-key=" + site.publicKey,
                "server.port=0",
                "server.address=127.0.0.1",
                "management.endpoints.web.exposure.include=health,info,metrics",
                "management.endpoint.health.show-details=always").run();
    }

    @Test
    void installsTheFirstVersionBeforeReadyAndTheNextOnACheck() throws Exception {
        site.publish("first");
        start(site.serve());

        VectorStore store = app.getBean(VectorStore.class);
        assertEquals(1, app.getBean(SearchApp.class).versionWhenReady.get(), "installed before the app reported ready");
        List<SearchHit> hits = store.search(SearchRequest.of(ArtifactSite.EMBEDDER.embed("Topic 3"), 3));
        assertEquals(3, hits.size());
        assertTrue(hits.getFirst().text().contains("first edition"), hits.toString());
        JsonNode health = get("/actuator/health/nylaSync", 200);
        assertEquals("UP", health.path("status").asText(), health.toString());
        assertEquals(1, health.path("details").path("version").asLong(), health.toString());

        site.publish("second");
        SyncResult r = app.getBean(NylaSync.class).checkNow();
        assertEquals(SyncResult.Outcome.INSTALLED, r.outcome(), r.steps().toString());
        assertTrue(store.search(SearchRequest.of(ArtifactSite.EMBEDDER.embed("Topic 3"), 1)).getFirst().text()
                .contains("second edition"));
        health = get("/actuator/health/nylaSync", 200);
        assertEquals(2, health.path("details").path("version").asLong(), health.toString());
        assertEquals("INSTALLED", health.path("details").path("lastResult").asText(), health.toString());
        JsonNode info = get("/actuator/info", 200).path("nylaSync");
        assertEquals(2, info.path("version").asLong(), info.toString());
        assertEquals("second", info.path("label").asText(), info.toString());
        assertEquals(ArtifactSite.EMBEDDER.model().id(), info.path("model").path("id").asText(), info.toString());
        assertTrue(info.path("source").asText().startsWith("http://127.0.0.1:"), info.toString());
        JsonNode version = get("/actuator/metrics/nyla.sync.installed.version", 200);
        assertEquals(2, version.path("measurements").get(0).path("value").asDouble(), version.toString());
        JsonNode installed = get("/actuator/metrics/nyla.sync.checks?tag=outcome:installed", 200);
        assertEquals(2, installed.path("measurements").get(0).path("value").asDouble(), installed.toString());
    }

    @Test
    void anExpiredManifestTurnsTheHealthDownAndTheInstalledVersionKeepsServing() throws Exception {
        start(publishExpiringSite());
        NylaSync sync = app.getBean(NylaSync.class);
        assertEquals(1, sync.status().active().orElseThrow().version());
        assertEquals("UP", get("/actuator/health/nylaSync", 200).path("status").asText());

        app.getBean(MutableClock.class).advance(Duration.ofDays(2));
        JsonNode health = get("/actuator/health/nylaSync", 503);
        assertEquals("DOWN", health.path("status").asText(), health.toString());
        assertTrue(health.path("details").path("reason").asText().contains("expired"), health.toString());
        // The next check fails on the expired manifest, and the health names the failure.
        SyncResult r = sync.checkNow();
        assertInstanceOf(ExpiredManifestException.class, r.failure().orElseThrow(), r.steps().toString());
        health = get("/actuator/health/nylaSync", 503);
        assertEquals("FAILED", health.path("details").path("lastResult").asText(), health.toString());
        assertTrue(health.path("details").path("lastFailure").asText().contains("expiresAt"), health.toString());
        assertEquals(1, sync.status().active().orElseThrow().version(), "the installed version keeps serving");
    }

    @Test
    void closingTheApplicationStopsTheClient() throws Exception {
        site.publish("first");
        start(site.serve());
        NylaSync sync = app.getBean(NylaSync.class);
        app.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, sync::checkNow);
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    @ExtendWith(OutputCaptureExtension.class)
    void aBadPropertyStopsTheStartUpWithAFailureAnalysisNamingIt(CapturedOutput output) {
        SpringApplicationBuilder bad = new SpringApplicationBuilder(SearchApp.class).web(WebApplicationType.NONE)
                .properties("nyla.sync.source=" + site.directory, "nyla.sync.store=file:" + dir.resolve("store"),
                        "nyla.sync.public-key=" + site.publicKey, "nyla.sync.keep-generations=0");
        assertThrows(BeanCreationException.class, bad::run);
        String report = output.getOut() + output.getErr();
        int description = report.indexOf("Description:");
        int action = report.indexOf("Action:");
        assertTrue(description >= 0 && action > description, "Spring Boot's failure analysis: " + report);
        assertTrue(report.substring(description, action).contains("keepGenerations: expected at least 1 but was 0"),
                report.substring(description));
        assertTrue(report.substring(action).contains("nyla.sync.keep-generations"), report.substring(action));
    }

    /** Version 1, expiring a day after the application's (test) clock's now. */
    private URI publishExpiringSite() throws IOException {
        site.publish("first", Duration.ofDays(1), Clock.systemUTC());
        return site.serve();
    }

    private JsonNode get(String path, int expectedStatus) throws Exception {
        int port = ((WebServerApplicationContext) app).getWebServer().getPort();
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(expectedStatus, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }
}
